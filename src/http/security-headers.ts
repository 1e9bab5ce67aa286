// Security headers and the Request-Id on every response, errors and 404s included. They are set in
// the first onRequest hook, on the raw response, so they survive any error path; a route may still
// replace one (swagger-ui's CSP on /docs, the JWKS's Cache-Control), since Fastify's own headers are
// written after these. The API answers JSON only, so its policy allows nothing.
//
// The set is what @fastify/helmet produced for this configuration; it is fixed, so it is built once
// instead of by helmet's middleware on each request (profiled: about 4 % of a GET's CPU).
import type { FastifyInstance } from 'fastify';

/** The Content-Security-Policy of /docs: swagger-ui's own files, nothing from elsewhere (works offline). */
export const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'none'; img-src 'self' data:; " +
  "object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'";

/** The headers of answers written to the socket outside Fastify (clientErrorHandler). */
export const BASIC_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/**
 * Every response's headers. Strict-Transport-Security belongs to whatever terminates TLS in front
 * of this server. API answers are per caller and may hold secrets, so caches never store them
 * (Cache-Control: no-store); the API reference under /docs may be cached.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  ...BASIC_SECURITY_HEADERS,
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
};

const EVERYWHERE = Object.entries(SECURITY_HEADERS).filter(([name]) => name !== 'Cache-Control');

/** Register first, before any hook that may throw, so that every response carries the headers. */
export function registerSecurityHeaders(app: FastifyInstance): void {
  // A callback hook, not an async one: it never waits, and spares a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    const raw = reply.raw;
    for (let i = 0; i < EVERYWHERE.length; i++) raw.setHeader(EVERYWHERE[i]![0], EVERYWHERE[i]![1]);
    if (!request.url.startsWith('/docs')) raw.setHeader('Cache-Control', 'no-store');
    raw.setHeader('Request-Id', request.id);
    done();
  });
}
