// Security headers on every response, errors and 404s included (helmet sets them in onRequest, on
// the raw response, so they survive any error path). The API answers JSON only, so its policy
// allows nothing; /docs gets a policy that lets swagger-ui load its own files (set in openapi.ts).
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** The Content-Security-Policy of /docs: swagger-ui's own files, nothing from elsewhere (works offline). */
export const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'none'; img-src 'self' data:; " +
  "object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'";

/** Headers that responses written outside Fastify (clientErrorHandler) carry too. */
export const BASIC_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** Register first, before any hook that may throw, so that every response carries the headers. */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Strict-Transport-Security belongs to whatever terminates TLS in front of this server.
    strictTransportSecurity: false,
  });
  // API answers are per caller and may hold secrets: never stored by caches. A route that sets its
  // own Cache-Control (the JWKS) keeps it; the API reference may be cached.
  app.addHook('onSend', async (request, reply) => {
    if (!reply.hasHeader('cache-control') && !request.url.startsWith('/docs')) reply.header('Cache-Control', 'no-store');
  });
}
