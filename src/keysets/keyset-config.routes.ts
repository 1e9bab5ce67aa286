import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../http/access.js';
import { pathId } from '../http/ids.js';
import { bodyErrorResponses, errorResponses } from '../http/schemas.js';
import { KeysetConfigParams, KeysetConfigPatchBody, KeysetConfigSchema } from './keyset-config.schemas.js';
import type { KeysetConfigService } from './keyset-config.service.js';

const since = '2025-11-15' as const;
const tags = ['Keysets'];

export const keysetConfigRoutes: FastifyPluginAsyncTypebox<{ configs: KeysetConfigService }> = async (app, { configs }) => {
  app.get('/v2/keysets/:id/config', {
    config: { access: { since, permission: 'keysets:read' } },
    schema: {
      tags, summary: 'Get a keyset\'s whole configuration, defaults included',
      params: KeysetConfigParams, response: { 200: KeysetConfigSchema, ...errorResponses(404) },
    },
  }, async (req) => configs.get(principalOf(req).accountId, pathId(req.params.id, 'keyset')));

  app.patch('/v2/keysets/:id/config', {
    config: { access: { since, permission: 'keysets:write' } },
    schema: {
      tags, summary: 'Change part of a keyset\'s configuration; answers the whole updated configuration',
      params: KeysetConfigParams, body: KeysetConfigPatchBody, response: { 200: KeysetConfigSchema, ...bodyErrorResponses(404) },
    },
  }, async (req) => configs.update(principalOf(req).accountId, pathId(req.params.id, 'keyset'), req.body));
};
