// Idempotency-Key on POST under /v2 and /api (CONTRACT §6). A preValidation hook (after access,
// so the account is known, and after the body is read) claims the key or answers from the store;
// an onSend hook completes the claim with the response (status < 500) or releases it (5xx).
//
// Stored responses may hold secrets (a keyset's secret key, a new secret key, an access token), so
// every stored body is encrypted with AES-256-GCM under a key derived (HKDF-SHA256) from the
// credential the request presented (API key or session token, of which the store keeps only
// hashes) and the Idempotency-Key (of which the store keeps only a SHA-256). Reading the store
// alone never reveals a response; a retry that presents the same credential and key decrypts it.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Store } from '../db/store.js';
import { AppError, badRequest } from '../errors.js';
import { IdempotencyRepository } from '../idempotency/idempotency.repository.js';
import { presentedCredential } from './access.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** A stored response is replayed for 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** An in-flight claim older than this was abandoned (its process died mid-request) and may be taken over. */
export const IN_FLIGHT_LEASE_MS = 10 * 60 * 1000;

const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

interface Claim {
  id: number;
  secret: Buffer;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyClaim?: Claim;
  }
}


function fingerprintOf(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method}\n${request.url}\n`)
    .update(request.rawBody ?? Buffer.alloc(0))
    .digest('hex');
}

function deriveSecret(credential: string, key: string, accountId: number): Buffer {
  return Buffer.from(hkdfSync('sha256', credential, key, `oem-idempotency-v1:${accountId}`, 32));
}

function encrypt(secret: Buffer, plain: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secret, iv);
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
}

function decrypt(secret: Buffer, stored: string): Buffer {
  const raw = Buffer.from(stored, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', secret, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
}

function applies(request: FastifyRequest): boolean {
  if (request.method !== 'POST' || !request.principal) return false;
  const route = request.routeOptions.url ?? '';
  return (route.startsWith('/v2/') || route.startsWith('/api/')) && route !== '/api/me';
}

export function registerIdempotency(app: FastifyInstance, { store, clock }: { store: Store; clock: Clock }): void {
  const repo = new IdempotencyRepository(store.db);
  const iso = (ms: number) => new Date(ms).toISOString();

  app.addHook('preValidation', async (request, reply) => {
    if (!applies(request)) return;
    const key = request.headers[IDEMPOTENCY_HEADER];
    if (key === undefined) return;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw badRequest('Idempotency-Key must be 1 to 255 printable ASCII characters');
    }
    const accountId = request.principal!.accountId;
    const secret = deriveSecret(presentedCredential(request) ?? '', key, accountId);
    const now = clock.now().getTime();
    const result = await repo.claim({
      accountId,
      keyHash: createHash('sha256').update(key, 'utf8').digest('hex'),
      fingerprint: fingerprintOf(request),
      now: iso(now),
      expiredBefore: iso(now - IDEMPOTENCY_TTL_MS),
      abandonedBefore: iso(now - IN_FLIGHT_LEASE_MS),
    });
    switch (result.kind) {
      case 'claimed':
        request.idempotencyClaim = { id: result.id, secret };
        return;
      case 'in-flight':
        throw new AppError('Conflict', 'a request with this Idempotency-Key is still being processed; retry later');
      case 'mismatch':
        throw new AppError('UnprocessableEntity', 'this Idempotency-Key was used with another request (method, path or body); use a new key');
      case 'done': {
        let payload: Buffer;
        try {
          payload = decrypt(secret, result.response.body);
        } catch {
          // Same account, key and request, but another API key or session token than the first time.
          throw new AppError('UnprocessableEntity', 'this Idempotency-Key was used with another credential; use a new key');
        }
        reply.code(result.response.status).header('Idempotent-Replayed', 'true');
        if (result.response.contentType) reply.header('content-type', result.response.contentType);
        return reply.send(payload);
      }
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = undefined;
    const bytes = payload === null || payload === undefined ? Buffer.alloc(0)
      : typeof payload === 'string' ? Buffer.from(payload, 'utf8')
      : Buffer.isBuffer(payload) ? payload
      : undefined; // a stream: not replayable
    try {
      if (reply.statusCode >= 500 || bytes === undefined) {
        await repo.release(claim.id);
      } else {
        const contentType = reply.getHeader('content-type');
        await repo.complete(claim.id, {
          status: reply.statusCode,
          contentType: contentType === undefined ? null : String(contentType),
          body: encrypt(claim.secret, bytes),
        }, clock.now().toISOString());
      }
    } catch (err) {
      // The response stands; a claim left in flight is taken over after IN_FLIGHT_LEASE_MS.
      request.log.error({ err }, 'could not record the idempotent response');
      await repo.release(claim.id).catch(() => undefined);
    }
    return payload;
  });
}
