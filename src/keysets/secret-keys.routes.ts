import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../http/access.js';
import { pathId } from '../http/ids.js';
import { bodyErrorResponses, errorResponses, SuccessSchema } from '../http/schemas.js';
import {
  RotatedSecretKeySchema, RotateSecretKeyBody, SecretKeyListQuery, SecretKeyListSchema, SecretKeyParams, SecretKeysParams,
  UpdatedSecretKeySchema, UpdateSecretKeyBody,
} from './secret-keys.schemas.js';
import type { SecretKeyInfo, SecretKeysService } from './secret-keys.service.js';

const render = (k: SecretKeyInfo) => ({ secretKey: k.prefix, expiresAt: k.expiresAt });
const since = '2025-11-15' as const;
const tags = ['Secret keys'];
const URL = '/v2/keysets/:id/secret-keys';

export const secretKeyRoutes: FastifyPluginAsyncTypebox<{ secretKeys: SecretKeysService }> = async (app, { secretKeys }) => {
  app.get(URL, {
    config: { access: { since, permission: 'keysets:read' } },
    schema: {
      tags, summary: 'List a keyset\'s secret keys by prefix: the permanent key first, then by expiry',
      params: SecretKeysParams, querystring: SecretKeyListQuery, response: { 200: SecretKeyListSchema, ...errorResponses(404) },
    },
  }, async (req) => {
    const keys = await secretKeys.list(principalOf(req).accountId, pathId(req.params.id, 'keyset'), req.query.activeOnly ?? false);
    return { secretKeys: keys.map(render) };
  });

  app.post(URL, {
    config: { access: { since, permission: 'keysets:write' } },
    schema: {
      tags, summary: 'Rotate the permanent secret key, with an overlap (expiresAt) or at once; the response is the only time the new key is shown',
      params: SecretKeysParams, body: RotateSecretKeyBody, response: { 201: RotatedSecretKeySchema, ...bodyErrorResponses(404) },
    },
    // The body is optional: a request without one rotates at once, as {} does.
    preValidation: async (req) => {
      req.body ??= {};
    },
  }, async (req, reply) => {
    const key = await secretKeys.rotate(principalOf(req).accountId, pathId(req.params.id, 'keyset'), req.body.expiresAt);
    return reply.status(201).send({ secretKey: key });
  });

  app.patch(`${URL}/:secretKeyPrefix`, {
    config: { access: { since, permission: 'keysets:write' } },
    schema: {
      tags, summary: 'Change the expiry of a rotated secret key',
      params: SecretKeyParams, body: UpdateSecretKeyBody, response: { 200: UpdatedSecretKeySchema, ...bodyErrorResponses(404) },
    },
  }, async (req) => {
    const { id, secretKeyPrefix } = req.params;
    const key = await secretKeys.updateExpiry(principalOf(req).accountId, pathId(id, 'keyset'), secretKeyPrefix, req.body.expiresAt);
    return { secretKey: render(key) };
  });

  app.delete(`${URL}/:secretKeyPrefix`, {
    config: { access: { since, permission: 'keysets:write' } },
    schema: {
      tags, summary: 'Delete a rotated secret key (never the permanent one)',
      params: SecretKeyParams, response: { 200: SuccessSchema, ...errorResponses(404) },
    },
  }, async (req) => {
    await secretKeys.delete(principalOf(req).accountId, pathId(req.params.id, 'keyset'), req.params.secretKeyPrefix);
    return { success: true };
  });
};
