// The one log line per request, and Prometheus metrics. (The Request-Id header is set with the
// security headers, in the first onRequest hook.)
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, duration };
}
export type Metrics = ReturnType<typeof createMetrics>;

type Series = ReturnType<Metrics['duration']['labels']>;

export function registerObservability(app: FastifyInstance, metrics: Metrics): void {
  // One child series per method, route template and status, looked up by a plain string instead of
  // prom-client hashing the label object on every observation. Route templates, not raw URLs, keep
  // the set bounded.
  const series = new Map<string, Series>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const key = `${request.method} ${status} ${route}`;
    let child = series.get(key);
    if (!child) {
      child = metrics.duration.labels({ method: request.method, route, status: String(status) });
      series.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    // Method, route and path only: headers (Authorization, session tokens), query strings (a client
    // may put anything there) and bodies are never logged. Nothing is built when the line is not.
    if (infoEnabled(request.log)) {
      const path = redactSecrets(request.url.split('?')[0]!);
      request.log.info(
        { method: request.method, route, path, status, durationMs: Math.round(reply.elapsedTime * 100) / 100 },
        'request completed',
      );
    }
    done();
  });
}

/** pino loggers can say whether a level is written; Fastify's silent stand-in cannot (and writes nothing). */
function infoEnabled(log: FastifyBaseLogger): boolean {
  const pinoLog = log as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };
  return pinoLog.isLevelEnabled ? pinoLog.isLevelEnabled('info') : false;
}

/**
 * A path is logged, and a client may put a whole secret in it by mistake (a secret key where its
 * prefix belongs, an API key as an id): anything shaped like a generated secret is cut to the
 * prefix the API itself shows (`sec-c-` and five characters) or to its kind.
 */
export function redactSecrets(path: string): string {
  return path
    .replace(/(sec-c-[A-Za-z0-9]{5})[A-Za-z0-9%]+/gi, '$1…')
    .replace(/\b(oems?_)[A-Za-z0-9_%-]{8,}/g, '$1…');
}
