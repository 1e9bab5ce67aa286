// buildApp assembles the HTTP application around a store; it never listens. main.ts and the tests use it.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { AccountsService } from './accounts/accounts.service.js';
import { appRoutes } from './apps/apps.routes.js';
import { AppsService } from './apps/apps.service.js';
import type { Clock } from './clock.js';
import {
  DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_RATE_LIMIT_WINDOW_MS,
  DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_TOKEN_ISSUER, type Config,
} from './config.js';
import { assignmentRoutes } from './customers/assignments.routes.js';
import { AssignmentsService } from './customers/assignments.service.js';
import { customerRoutes } from './customers/customers.routes.js';
import { CustomersService } from './customers/customers.service.js';
import type { Store } from './db/store.js';
import { registerAccess } from './http/access.js';
import { registerJsonParser } from './http/content-type.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './http/error-handler.js';
import { registerGracefulClose } from './http/graceful-close.js';
import { registerIdempotency } from './http/idempotency.js';
import { createMetrics, registerObservability } from './http/observability.js';
import { registerOpenApi } from './http/openapi.js';
import { registerRateLimit } from './http/rate-limit.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { validatorCompiler } from './http/validation.js';
import { keysetConfigRoutes } from './keysets/keyset-config.routes.js';
import { KeysetConfigService } from './keysets/keyset-config.service.js';
import { keysetRoutes } from './keysets/keysets.routes.js';
import { KeysetsService } from './keysets/keysets.service.js';
import { secretKeyRoutes } from './keysets/secret-keys.routes.js';
import { SecretKeysService } from './keysets/secret-keys.service.js';
import { opsRoutes } from './ops/ops.routes.js';
import { sessionRoutes } from './users/session.routes.js';
import { UsersService } from './users/users.service.js';
import { SigningKeys } from './tokens/signing-keys.js';
import { jwksRoutes, tokenRoutes } from './tokens/tokens.routes.js';
import { TokensService } from './tokens/tokens.service.js';

export interface AppDeps {
  /**
   * Settings left out take their defaults, except rate limiting: without `rateLimitMax` and
   * `authFailureLimit` there is none (loadConfig supplies the generous defaults, so a server always
   * limits unless told 0).
   */
  config: Pick<Config, 'bodyLimit'> & Partial<Pick<Config, 'tokenIssuer' | 'rateLimitMax' | 'rateLimitWindowMs' | 'authFailureLimit' | 'redisUrl'
    | 'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections'>> & { rateLimitNamespace?: string };
  store: Store;
  clock: Clock;
  /** A pino logger; omitted → silent (tests). */
  logger?: FastifyBaseLogger;
}

export async function buildApp({ config, store, clock, logger }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    genReqId: () => randomUUID(),
    requestIdHeader: false, // ids are ours, never taken from the client
    // One line per request, written by registerObservability, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: config.bodyLimit,
    // Slow clients: the whole request must arrive in time (else 408, see clientErrorHandler).
    requestTimeout: config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    http: httpServerOptions(config.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
    // While closing, requests on open connections are still answered properly (with Connection: close).
    return503OnClosing: false,
    routerOptions: { maxParamLength: 512 },
    frameworkErrors,
    clientErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.server.maxConnections = (config.maxConnections ?? DEFAULT_MAX_CONNECTIONS) || Infinity;

  const metrics = createMetrics();
  registerErrorHandling(app);
  registerSecurityHeaders(app);
  registerObservability(app, metrics);
  registerGracefulClose(app);
  registerJsonParser(app);
  const accounts = new AccountsService(store.db, clock);
  const users = new UsersService(store, clock);
  // Before the access hook: the failed sign-in limit is checked ahead of any credential.
  await registerRateLimit(app, {
    max: config.rateLimitMax, windowMs: config.rateLimitWindowMs ?? DEFAULT_RATE_LIMIT_WINDOW_MS,
    authFailureMax: config.authFailureLimit, redisUrl: config.redisUrl, namespace: config.rateLimitNamespace,
  });
  registerAccess(app, { apiKey: (key) => accounts.authenticate(key), session: (token) => users.authenticate(token) });
  registerIdempotency(app, { store, clock });
  await registerOpenApi(app);

  await app.register(opsRoutes, { store, metrics });
  await app.register(appRoutes, { apps: new AppsService(store, clock) });
  await app.register(keysetRoutes, { keysets: new KeysetsService(store, clock) });
  await app.register(keysetConfigRoutes, { configs: new KeysetConfigService(store) });
  await app.register(secretKeyRoutes, { secretKeys: new SecretKeysService(store, clock) });
  const customers = new CustomersService(store, clock);
  const assignments = new AssignmentsService(store, clock);
  const signingKeys = new SigningKeys(store, clock);
  const tokens = new TokensService(store, clock, signingKeys, config.tokenIssuer ?? DEFAULT_TOKEN_ISSUER);
  const oemRoutes = async (scope: FastifyInstance) => {
    await scope.register(customerRoutes, { customers });
    await scope.register(assignmentRoutes, { assignments });
    await scope.register(tokenRoutes, { tokens });
  };
  await app.register(oemRoutes, { prefix: '/v2' });
  // The same OEM handlers again under /api for PubNub's older session API (CONTRACT §7).
  await app.register(sessionRoutes, { users });
  await app.register(async (legacy) => {
    legacy.addHook('onRoute', (route) => {
      const access = route.config?.access;
      if (access) route.config = { ...route.config, access: { ...access, legacy: true } };
    });
    await oemRoutes(legacy);
  }, { prefix: '/api' });
  await app.register(jwksRoutes, { signingKeys });
  await app.ready();
  return app;
}

/** Node's server options: the header deadline, and timeouts checked often enough to be near exact. */
function httpServerOptions(headersTimeout: number, requestTimeout: number) {
  const connectionsCheckingInterval = Math.max(100, Math.min(1_000, Math.floor(Math.min(headersTimeout, requestTimeout) / 4)));
  return { headersTimeout: Math.min(headersTimeout, requestTimeout), requestTimeout, connectionsCheckingInterval };
}
