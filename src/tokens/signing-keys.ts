// The keys that sign access tokens (CONTRACT §4.11). They live in the store, not on a node's disk:
// every process of a deployment signs with the same current key, a token verifies on any node, and
// tokens survive restarts. Rotation adds a new current key and keeps the previous one in the JWKS
// until every token it signed has expired.
//
// The private key never leaves this file: it is read from its row, imported, and used to sign.
// Nothing here logs a row, and no function returns one.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import type { Store } from '../db/store.js';
import { AppError } from '../errors.js';
import * as repo from './signing-keys.repository.js';

export const SIGNING_ALG = 'ES256';
/** The longest token lifetime (expiresIn ≤ 24h): how long a rotated-out key stays in the JWKS. */
export const MAX_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  alg: string;
  use: 'sig';
}

export interface Rotation {
  kid: string;
  alg: string;
  createdAt: string;
  /** The key it replaces, served by the JWKS until retireAfter; null when the store had none. */
  previous: { kid: string; retireAfter: string } | null;
}

/** A new ES256 key pair as a row: kid is the RFC 7638 thumbprint, so it names the key itself. */
async function generateRow(createdAt: string): Promise<repo.SigningKeyRow> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const publicJwk: PublicJwk = { kty: pub.kty!, crv: pub.crv!, x: pub.x!, y: pub.y!, kid, alg: SIGNING_ALG, use: 'sig' };
  return {
    kid,
    alg: SIGNING_ALG,
    private_jwk: JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG }),
    public_jwk: JSON.stringify(publicJwk),
    created_at: createdAt,
    retire_after: null,
  };
}

export class SigningKeys {
  /**
   * Imported private keys by kid. Only key material is cached (a kid's key never changes); which
   * key is current is read from the store on every signature, so a rotation made by any process or
   * by the CLI is used by every process from its next token on.
   */
  private readonly imported = new Map<string, Promise<CryptoKey>>();

  constructor(private readonly store: Store, private readonly clock: Clock) {}

  /**
   * Makes sure a current key exists; idempotent and safe when several processes start at once: the
   * check is repeated under the signing-keys lock, so exactly one of them creates the key.
   */
  async ensure(): Promise<{ kid: string; created: boolean }> {
    const existing = await repo.currentKey(this.store.db);
    if (existing) return { kid: existing.kid, created: false };
    const now = this.now();
    const fresh = await generateRow(now); // outside the transaction: no lock is held while it runs
    return this.store.write(async (trx) => {
      await repo.lockSigningKeys(trx, now);
      const current = await repo.currentKey(trx);
      if (current) return { kid: current.kid, created: false };
      await repo.insertKey(trx, fresh);
      return { kid: fresh.kid, created: true };
    });
  }

  /** A new current key; the previous one is served until now + the longest token lifetime. */
  async rotate(): Promise<Rotation> {
    const now = this.clock.now();
    const createdAt = now.toISOString();
    const retireAfter = new Date(now.getTime() + MAX_TOKEN_LIFETIME_MS).toISOString();
    const fresh = await generateRow(createdAt);
    return this.store.write(async (trx) => {
      // Under the lock, so two rotations at once each retire the key the other one left current.
      await repo.lockSigningKeys(trx, createdAt);
      const previous = await repo.currentKey(trx);
      if (previous) await repo.retireKey(trx, previous.kid, retireAfter);
      await repo.insertKey(trx, fresh);
      return { kid: fresh.kid, alg: fresh.alg, createdAt, previous: previous ? { kid: previous.kid, retireAfter } : null };
    });
  }

  /** Signs the claims with the current key; header { alg, kid, typ }. */
  async sign(claims: JWTPayload): Promise<string> {
    let row = await repo.currentKey(this.store.db);
    if (!row) {
      // An app built without startServer (tests, embedding) has had no ensure() yet.
      await this.ensure();
      row = await repo.currentKey(this.store.db);
      if (!row) throw new AppError('InternalError', 'no signing key');
    }
    const key = await this.privateKey(row);
    return new SignJWT(claims).setProtectedHeader({ alg: row.alg, kid: row.kid, typ: 'JWT' }).sign(key);
  }

  /** The JWKS: the current key and every rotated-out key whose retire_after is still ahead. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    const rows = await repo.servablePublicKeys(this.store.db, this.now());
    return { keys: rows.map((r) => JSON.parse(r.public_jwk) as PublicJwk) };
  }

  private privateKey(row: repo.SigningKeyRow): Promise<CryptoKey> {
    let key = this.imported.get(row.kid);
    if (!key) {
      key = importJWK(JSON.parse(row.private_jwk), row.alg) as Promise<CryptoKey>;
      // A failed import is not cached, so the next request tries again.
      key.catch(() => this.imported.delete(row.kid));
      this.imported.set(row.kid, key);
    }
    return key;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
