// Operational routes (CONTRACT §8): no auth, no version header.
import type { FastifyPluginAsync } from 'fastify';
import { migrationsApplied } from '../db/migrations.js';
import type { Store } from '../db/store.js';
import { envelope } from '../http/error-handler.js';
import type { Metrics } from '../http/observability.js';
import { errorEnvelopeSchema } from '../http/schemas.js';
import { Type } from 'typebox';

const Status = (value: string) => Type.Object({ status: Type.Literal(value) });

const tags = ['Operations'];

export const opsRoutes: FastifyPluginAsync<{ store: Store; metrics: Metrics }> = async (app, { store, metrics }) => {
  app.get('/healthz', { schema: { tags, summary: 'The process is up', response: { 200: Status('ok') } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', {
    schema: {
      tags, summary: 'The store is reachable and every migration is applied',
      response: { 200: Status('ready'), 503: errorEnvelopeSchema(503, 'The store is unreachable or migrations are pending') },
    },
  }, async (request, reply) => {
    try {
      await store.ping();
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
