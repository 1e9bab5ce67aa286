// Rate limiting per caller (CONTRACT §2: 429 TooManyRequests with Retry-After). Each API key and
// each legacy session has its own budget; a request with no principal (a login, an open route) is
// counted by its address. Counts live in this process, or in Redis (REDIS_URL) so that several
// nodes share them. Health, metrics, the API reference and the JWKS are never limited.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { AppError } from '../errors.js';

export interface RateLimitSettings {
  /** Requests per caller per window; 0 or undefined → no limiting. */
  max?: number;
  windowMs: number;
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

/** Registers the limiter; call it after the access hook and before the routes it should cover. */
export async function registerRateLimit(app: FastifyInstance, settings: RateLimitSettings): Promise<void> {
  if (!settings.max) return;
  let redis: Redis | undefined;
  if (settings.redisUrl) {
    // Fail fast when Redis is away: no queueing, one try; the request is then let through (skipOnError).
    redis = new Redis(settings.redisUrl, { connectTimeout: 500, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    redis.on('error', (err: Error) => app.log.warn({ err: { message: err.message } }, 'rate-limit store (Redis) unavailable'));
    await redis.connect().catch((err: Error) => app.log.warn({ err: { message: err.message } }, 'rate-limit store (Redis) unreachable at start'));
    app.addHook('onClose', async () => {
      await redis!.quit().catch(() => redis!.disconnect());
    });
  }
  await app.register(rateLimit, {
    max: settings.max,
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
}
