// Request ids, the one log line per request, and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
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

export function registerObservability(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onSend', async (request, reply) => {
    reply.header('Request-Id', request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    // Route templates, not raw URLs, keep the metric's label set bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.duration.observe({ method: request.method, route, status: String(status) }, reply.elapsedTime / 1000);
    // Method, route and path only: headers (Authorization, session tokens), query strings (a client
    // may put anything there) and bodies are never logged.
    const path = redactSecrets(request.url.split('?')[0]!);
    request.log.info(
      { method: request.method, route, path, status, durationMs: Math.round(reply.elapsedTime * 100) / 100 },
      'request completed',
    );
  });
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
