// Rate limiting per caller (CONTRACT §2: 429 TooManyRequests with Retry-After). Each API key and
// each legacy session has its own budget; a request with no principal (a login, an open route) is
// counted by its address. Counts live in this process, or in Redis (REDIS_URL) so that several
// nodes share them. Health, metrics, the API reference and the JWKS are never limited.
// Failed sign-ins are limited apart, per client address and ahead of the credential check: once an
// address has had `authFailureMax` 401s in a window, its requests are refused with 429 before any
// key, session token or password is looked at, so guessing credentials cannot go on at speed.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';

export interface RateLimitSettings {
  /** Requests per caller per window; 0 or undefined → no limiting. */
  max?: number;
  windowMs: number;
  /** 401s per client address per window before the address is refused up front; 0 or undefined → off. */
  authFailureMax?: number;
  redisUrl?: string;
  /** Prefix of the Redis keys (lets tests and deployments sharing a Redis keep apart). */
  namespace?: string;
}

const EXEMPT = /^\/(healthz|readyz|metrics|openapi\.json|docs(\/.*)?|\.well-known\/jwks\.json)$/;

export function isExempt(request: FastifyRequest): boolean {
  return EXEMPT.test(request.routeOptions.url ?? request.url.split('?')[0]!);
}

export function callerKey(request: FastifyRequest): string {
  return request.principal?.credential ?? `ip:${request.ip}`;
}

/**
 * Registers the limiters; call it before the access hook (the failed sign-in check must run ahead
 * of it) and before the routes they should cover.
 */
export async function registerRateLimit(app: FastifyInstance, settings: RateLimitSettings): Promise<void> {
  if (!settings.max && !settings.authFailureMax) return;
  let redis: Redis | undefined;
  if (settings.redisUrl) {
    // Fail fast when Redis is away: no queueing, one try; the request is then let through (skipOnError).
    // Loaded only when used: ioredis is a noticeable part of the start-up time otherwise.
    const { Redis: RedisClient } = await import('ioredis');
    redis = new RedisClient(settings.redisUrl, { connectTimeout: 500, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    redis.on('error', (err: Error) => app.log.warn({ err: { message: err.message } }, 'rate-limit store (Redis) unavailable'));
    await redis.connect().catch((err: Error) => app.log.warn({ err: { message: err.message } }, 'rate-limit store (Redis) unreachable at start'));
    app.addHook('onClose', async () => {
      await redis!.quit().catch(() => redis!.disconnect());
    });
  }
  await app.register(rateLimit, {
    // Per caller on every route (a route hook, so after the app's access hook), when max is set.
    global: Boolean(settings.max),
    max: settings.max || 1,
    timeWindow: settings.windowMs,
    // A route-level onRequest hook runs after the app's onRequest hooks, so the access hook has
    // set request.principal, and a refused request is answered before its body is read.
    hook: 'onRequest',
    keyGenerator: callerKey,
    allowList: (request) => isExempt(request),
    enableDraftSpec: true,
    skipOnError: true,
    ...(redis ? { redis, nameSpace: settings.namespace ?? 'oem-rate-limit:' } : {}),
    errorResponseBuilder: (_request, context) =>
      new AppError('TooManyRequests', `rate limit of ${context.max} requests exceeded; retry in ${context.after}`),
  });
  if (settings.authFailureMax) registerAuthFailureLimit(app, settings.authFailureMax, settings.windowMs);
}

/** 401s counted per address; an address past the limit is answered 429 before its credential is checked. */
function registerAuthFailureLimit(app: FastifyInstance, max: number, windowMs: number): void {
  const failures = app.createRateLimit({
    max, timeWindow: windowMs,
    keyGenerator: (request) => `auth-failures:${request.ip}`,
    allowList: (request) => isExempt(request),
  });
  app.addHook('onRequest', async (request, reply) => {
    const status = await failures(request, { increment: false });
    // A peek reports the failures so far; `max` of them use the budget up (isExceeded means more than max).
    if (status.isAllowed || status.remaining > 0) return;
    reply.header('Retry-After', String(status.ttlInSeconds));
    throw new AppError('TooManyRequests', `too many failed sign-ins from this address (${max} in the window); retry in ${status.ttlInSeconds} seconds`);
  });
  // A callback hook: it runs on every answer and waits only for a 401's count.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode !== 401) return done(null, payload);
    failures(request).then(() => done(null, payload), (error: Error) => done(error));
  });
}
