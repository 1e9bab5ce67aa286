// buildApp assembles the HTTP application around a store; it never listens. main.ts and the tests use it.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { AccountsService } from './accounts/accounts.service.js';
import { appRoutes } from './apps/apps.routes.js';
import { AppsService } from './apps/apps.service.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { assignmentRoutes } from './customers/assignments.routes.js';
import { AssignmentsService } from './customers/assignments.service.js';
import { customerRoutes } from './customers/customers.routes.js';
import { CustomersService } from './customers/customers.service.js';
import type { Store } from './db/store.js';
import { registerAccess } from './http/access.js';
import { registerJsonParser } from './http/content-type.js';
import { registerErrorHandling } from './http/error-handler.js';
import { registerGracefulClose } from './http/graceful-close.js';
import { createMetrics, registerObservability } from './http/observability.js';
import { registerOpenApi } from './http/openapi.js';
import { validatorCompiler } from './http/validation.js';
import { keysetRoutes } from './keysets/keysets.routes.js';
import { KeysetsService } from './keysets/keysets.service.js';
import { opsRoutes } from './ops/ops.routes.js';

export interface AppDeps {
  config: Pick<Config, 'bodyLimit'>;
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
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);

  const metrics = createMetrics();
  registerErrorHandling(app);
  registerObservability(app, metrics);
  registerGracefulClose(app);
  registerJsonParser(app);
  const accounts = new AccountsService(store, clock);
  registerAccess(app, accounts);
  await registerOpenApi(app);

  await app.register(opsRoutes, { store, metrics });
  await app.register(appRoutes, { apps: new AppsService(store, clock) });
  await app.register(keysetRoutes, { keysets: new KeysetsService(store, clock) });
  await app.register(customerRoutes, { prefix: '/v2', customers: new CustomersService(store, clock) });
  await app.register(assignmentRoutes, { prefix: '/v2', assignments: new AssignmentsService(store, clock) });
  await app.ready();
  return app;
}
