// Per-route access: who may call a /v2 route and from which version. Runs in onRequest, before the
// body is read, so the order is always 401 → 400 (version) → 403 → content type → body validation.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../accounts/accounts.service.js';
import type { Permission } from '../accounts/permissions.js';
import { AppError, forbidden } from '../errors.js';
import { resolveVersion, VERSION_HEADER, type ApiVersion } from './versions.js';

export interface RouteAccess {
  since: ApiVersion;
  permission: Permission;
  /** OEM customer routes also need the account to be enrolled as an OEM partner. */
  oem?: boolean;
  /** Mounted under /api (CONTRACT §7): a session token instead of an API key, and no version header. */
  legacy?: boolean;
}

/** Who signs requests in: API keys for /v2, session tokens for the legacy /api routes. */
export interface Authenticators {
  apiKey(presented: string | undefined): Promise<Principal>;
  session(token: string | undefined): Promise<Principal>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal?: Principal;
    apiVersion?: ApiVersion;
  }
}

/** `Authorization: <key>` or `Authorization: Bearer <key>`. */
export function presentedKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (/^bearer$/i.test(value)) return undefined;
  const bearer = /^bearer\s+(.+)$/i.exec(value);
  return (bearer ? bearer[1]!.trim() : value) || undefined;
}

function countHeader(rawHeaders: string[], name: string): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) n++;
  return n;
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('InternalError', 'route has no access declaration');
  return request.principal;
}

/** The secret the caller presented: the session token on legacy routes, else the API key. */
export function presentedCredential(request: FastifyRequest): string | undefined {
  if (request.routeOptions.config.access?.legacy) {
    const token = request.headers['x-session-token'];
    return Array.isArray(token) ? token[0] : token;
  }
  return presentedKey(request.headers.authorization);
}

export function registerAccess(app: FastifyInstance, auth: Authenticators): void {
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    if (!access) return;
    if (access.legacy) {
      request.principal = await auth.session(presentedCredential(request));
    } else {
      // Node keeps only the first of repeated Authorization headers; a request that sends two is refused.
      if (countHeader(request.raw.rawHeaders, 'authorization') > 1) {
        throw new AppError('Unauthorized', 'send the API key in one Authorization header');
      }
      request.principal = await auth.apiKey(presentedCredential(request));
      const route = `${request.method} ${request.routeOptions.url}`;
      request.apiVersion = resolveVersion(request.headers[VERSION_HEADER], access.since, route);
      reply.header('PubNub-Version', request.apiVersion);
    }
    if (!request.principal.permissions.has(access.permission)) {
      throw forbidden(`this API key lacks the ${access.permission} permission`);
    }
    if (access.oem && !request.principal.oemEnabled) {
      throw forbidden('this account is not enrolled as an OEM partner');
    }
  });
}
