// POST /oem/access-token (CONTRACT §4.11; mounted under /v2) and GET /.well-known/jwks.json (§8).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../http/access.js';
import { bodyErrorResponses } from '../http/schemas.js';
import type { SigningKeys } from './signing-keys.js';
import { AccessTokenBody, AccessTokenSchema, JwksSchema } from './tokens.schemas.js';
import type { TokensService } from './tokens.service.js';

const tags = ['OEM access tokens'];

/**
 * How long a verifier may cache the JWKS. A rotated-out key stays served for 24 h, so caching never
 * breaks old tokens; a new key's tokens carry a kid the cached set lacks, which makes verifiers
 * (jose's createRemoteJWKSet, for one) fetch again.
 */
const JWKS_CACHE_CONTROL = 'public, max-age=60';

export const tokenRoutes: FastifyPluginAsyncTypebox<{ tokens: TokensService }> = async (app, { tokens }) => {
  app.post('/oem/access-token', {
    config: { access: { since: '2026-02-09', permission: 'oem:write', oem: true } },
    schema: {
      tags, summary: 'Issue a signed JWT for an end user of a customer, scoped to the customer\'s keysets in one app',
      body: AccessTokenBody, response: { 200: AccessTokenSchema, ...bodyErrorResponses(404) },
    },
  }, async (req) => ({ accessToken: await tokens.issue(principalOf(req).accountId, req.body) }));
};

/** Unauthenticated and unversioned: an embedding site fetches it to verify tokens. */
export const jwksRoutes: FastifyPluginAsyncTypebox<{ signingKeys: SigningKeys }> = async (app, { signingKeys }) => {
  app.get('/.well-known/jwks.json', {
    schema: { tags, summary: 'The public keys that verify access tokens (JWK Set)', response: { 200: JwksSchema } },
  }, async (_req, reply) => {
    reply.header('Cache-Control', JWKS_CACHE_CONTROL);
    return signingKeys.jwks();
  });
};
