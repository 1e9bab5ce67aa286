import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../http/access.js';
import { pathId } from '../http/ids.js';
import { bodyErrorResponses, errorResponses, SuccessSchema } from '../http/schemas.js';
import { AppBody, AppListQuery, AppListSchema, AppParams, AppSchema } from './apps.schemas.js';
import type { App, AppsService } from './apps.service.js';

const render = (a: App) => ({ ...a, id: String(a.id) });
const since = '2025-11-15' as const;
const tags = ['Apps'];

export const appRoutes: FastifyPluginAsyncTypebox<{ apps: AppsService }> = async (app, { apps }) => {
  app.post('/v2/apps', {
    config: { access: { since, permission: 'apps:write' } },
    schema: { tags, summary: 'Create an app', body: AppBody, response: { 201: AppSchema, ...bodyErrorResponses() } },
  }, async (req, reply) => reply.status(201).send(render(await apps.create(principalOf(req).accountId, req.body.name))));

  app.get('/v2/apps', {
    config: { access: { since, permission: 'apps:read' } },
    schema: { tags, summary: 'List apps, ordered by id', querystring: AppListQuery, response: { 200: AppListSchema, ...errorResponses() } },
  }, async (req) => {
    const page = await apps.list(principalOf(req).accountId, req.query.page ?? 1, req.query.limit ?? 10);
    return { apps: page.items.map(render), total: page.total, page: page.page, limit: page.limit };
  });

  app.get('/v2/apps/:id', {
    config: { access: { since, permission: 'apps:read' } },
    schema: { tags, summary: 'Get an app', params: AppParams, response: { 200: AppSchema, ...errorResponses(404) } },
  }, async (req) => render(await apps.get(principalOf(req).accountId, pathId(req.params.id, 'app'))));

  app.patch('/v2/apps/:id', {
    config: { access: { since, permission: 'apps:write' } },
    schema: { tags, summary: 'Rename an app', params: AppParams, body: AppBody, response: { 200: AppSchema, ...bodyErrorResponses(404) } },
  }, async (req) => render(await apps.rename(principalOf(req).accountId, pathId(req.params.id, 'app'), req.body.name)));

  app.delete('/v2/apps/:id', {
    config: { access: { since, permission: 'apps:write' } },
    schema: { tags, summary: 'Delete an app that has no keysets', params: AppParams, response: { 200: SuccessSchema, ...errorResponses(404) } },
  }, async (req) => {
    await apps.delete(principalOf(req).accountId, pathId(req.params.id, 'app'));
    return { success: true };
  });
};
