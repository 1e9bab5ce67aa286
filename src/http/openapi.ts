// The OpenAPI 3.1 document, generated from the same schemas the routes validate with, and the
// interactive reference at /docs, served from files in this package (no CDN: it works offline).
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { RouteAccess } from './access.js';
import { idempotencyResponses, IDEMPOTENCY_KEY_HEADER, limitedResponses, versionHeaders } from './schemas.js';
import { DOCS_CSP } from './security-headers.js';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'OEM Customer API',
        version: '0.1.0',
        description:
          'A server for the OEM Customer group of PubNub\'s Admin API. Every /v2 route needs an API key in ' +
          '`Authorization` (raw or `Bearer`) and a `PubNub-Version` header; each operation names the version that introduced it. ' +
          'Every response carries a `Request-Id` header (also in the server\'s log line and in the message of any 500); ' +
          'a /v2 response echoes the `PubNub-Version` it was served under; a customer detail carries an `ETag` for `If-Match`.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'Authorization' },
          sessionToken: { type: 'apiKey', in: 'header', name: 'x-session-token' },
        },
      },
    },
    transform: ({ schema: routeSchema, url, route }) => {
      const access = (route.config as { access?: RouteAccess } | undefined)?.access;
      if (!access || !routeSchema) return { schema: routeSchema, url };
      const schema = withLimitsAndIdempotency(routeSchema, route.method);
      if (access.legacy) {
        const description = 'The same operation as under /v2, for PubNub\'s older session API: authorised by the ' +
          '`x-session-token` from POST /api/me (the user\'s account, full OEM permissions); no PubNub-Version header.';
        const documented = { ...schema, tags: ['Legacy session API'], description, security: [{ sessionToken: [] }] };
        return { schema: documented as typeof schema, url };
      }
      const note = `Since PubNub-Version ${access.since}. Needs the \`${access.permission}\` permission` +
        (access.oem ? ' and an OEM-enabled account.' : '.');
      const description = [(schema as { description?: string }).description, note].filter(Boolean).join('\n\n');
      const own = (schema as { headers?: { properties?: object; required?: string[] } }).headers;
      const version = versionHeaders(access.since);
      const headers = own ? { ...version, properties: { ...version.properties, ...own.properties }, required: [...version.required, ...(own.required ?? [])] } : version;
      const documented = { ...schema, headers, description, security: [{ apiKey: [] }], 'x-since': access.since };
      return { schema: documented as typeof schema, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

/** Every authenticated route may answer 429; a POST takes Idempotency-Key and may answer 409/422 for it. */
function withLimitsAndIdempotency<S extends object>(schema: S, method: string | string[]): S {
  const own = schema as { response?: Record<string, unknown>; headers?: { properties?: object; required?: string[] } };
  const post = (Array.isArray(method) ? method : [method]).includes('POST');
  const response = { ...own.response, ...limitedResponses(), ...(post ? idempotencyResponses() : {}) };
  if (!post) return { ...schema, response };
  const headers = { type: 'object', properties: { ...own.headers?.properties, ...IDEMPOTENCY_KEY_HEADER }, required: own.headers?.required ?? [] };
  return { ...schema, response, headers };
}
