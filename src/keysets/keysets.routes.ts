import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../http/access.js';
import { pathId } from '../http/ids.js';
import { bodyErrorResponses, errorResponses, SuccessSchema } from '../http/schemas.js';
import { CreatedKeysetSchema, CreateKeysetBody, KeysetListQuery, KeysetListSchema, KeysetParams, KeysetSchema, UpdateKeysetBody } from './keysets.schemas.js';
import type { Keyset, KeysetsService } from './keysets.service.js';

const render = (k: Keyset) => ({ ...k, id: String(k.id), appId: String(k.appId) });
const since = '2025-11-15' as const;
const tags = ['Keysets'];

export const keysetRoutes: FastifyPluginAsyncTypebox<{ keysets: KeysetsService }> = async (app, { keysets }) => {
  app.post('/v2/keysets', {
    config: { access: { since, permission: 'keysets:write' } },
    schema: {
      tags, summary: 'Create a keyset, optionally with (part of) its configuration; the response is the only time its secret key is shown',
      body: CreateKeysetBody, response: { 201: CreatedKeysetSchema, ...bodyErrorResponses(404) },
    },
  }, async (req, reply) => {
    const { name, appId, type } = req.body.keyset;
    const created = await keysets.create(principalOf(req).accountId, { name, type, appId: pathId(String(appId), 'app'), config: req.body.config });
    return reply.status(201).send({
      keyset: { ...render(created.keyset), secretKeys: [{ secretKey: created.secretKey, expiresAt: null }] },
      config: created.config,
    });
  });

  app.get('/v2/keysets', {
    config: { access: { since, permission: 'keysets:read' } },
    schema: { tags, summary: 'List keysets, ordered by id', querystring: KeysetListQuery, response: { 200: KeysetListSchema, ...errorResponses() } },
  }, async (req) => {
    const appId = req.query.appId === undefined ? undefined : Number(req.query.appId);
    const page = await keysets.list(principalOf(req).accountId, appId, req.query.page ?? 1, req.query.limit ?? 10);
    return { keysets: page.items.map(render), total: page.total, page: page.page, limit: page.limit };
  });

  app.get('/v2/keysets/:id', {
    config: { access: { since, permission: 'keysets:read' } },
    schema: { tags, summary: 'Get a keyset (never its secret key)', params: KeysetParams, response: { 200: KeysetSchema, ...errorResponses(404) } },
  }, async (req) => render(await keysets.get(principalOf(req).accountId, pathId(req.params.id, 'keyset'))));

  app.patch('/v2/keysets/:id', {
    config: { access: { since, permission: 'keysets:write' } },
    schema: { tags, summary: 'Rename a keyset or change its type', params: KeysetParams, body: UpdateKeysetBody, response: { 200: KeysetSchema, ...bodyErrorResponses(404) } },
  }, async (req) => render(await keysets.update(principalOf(req).accountId, pathId(req.params.id, 'keyset'), req.body)));

  app.delete('/v2/keysets/:id', {
    config: { access: { since, permission: 'keysets:write' } },
    schema: { tags, summary: 'Delete a keyset; its customer assignment goes with it', params: KeysetParams, response: { 200: SuccessSchema, ...errorResponses(404) } },
  }, async (req) => {
    await keysets.delete(principalOf(req).accountId, pathId(req.params.id, 'keyset'));
    return { success: true };
  });
};
