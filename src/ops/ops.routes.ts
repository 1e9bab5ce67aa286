// Operational routes (CONTRACT §8): no auth, no version header.
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { migrationsApplied } from '../db/migrations.js';
import type { Store } from '../db/store.js';
import { envelope } from '../http/error-handler.js';
import type { Metrics } from '../http/observability.js';

const tags = ['Operations'];

export const opsRoutes: FastifyPluginAsync<{ store: Store; metrics: Metrics }> = async (app, { store, metrics }) => {
  app.get('/healthz', { schema: { tags, summary: 'The process is up' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags, summary: 'The store is reachable and every migration is applied' } }, async (request, reply) => {
    try {
      await sql`select 1`.execute(store.db);
      if (!(await migrationsApplied(store))) return reply.status(503).send(envelope(503, ['migrations are pending']));
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      return reply.status(503).send(envelope(503, ['the store is unreachable']));
    }
  });

  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics (text exposition format)' } }, async (_request, reply) => {
    reply.header('Content-Type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
