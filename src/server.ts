// config → store → migrate → bootstrap → signing key → app → listen, and a graceful stop on SIGTERM/SIGINT.
import type { FastifyInstance } from 'fastify';
import { bootstrap } from './accounts/bootstrap.js';
import { buildApp } from './app.js';
import { systemClock } from './clock.js';
import { loadConfig } from './config.js';
import { migrate } from './db/migrations.js';
import { openStore, type Store } from './db/store.js';
import { createLogger } from './logger.js';
import { SigningKeys } from './tokens/signing-keys.js';

export async function startServer(env: NodeJS.ProcessEnv = process.env): Promise<{ app: FastifyInstance; store: Store }> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const store = await openStore(config.databaseUrl);
  try {
    const applied = await migrate(store);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    const boot = await bootstrap(store, systemClock, config.bootstrapApiKey);
    if (boot) {
      logger.info({ accountId: boot.accountId, keyId: boot.keyId }, 'bootstrapped an empty store');
      if (boot.generatedKey) {
        // Printed once, at creation, for the operator; it is stored only as a hash.
        process.stdout.write(
          `\nFirst start: created the account "Default partner" (id ${boot.accountId}) and an API key with every permission.\n` +
          `It is shown only this once; keep it:\n\n  OEM_API_KEY=${boot.generatedKey}\n\n`,
        );
      }
    }
    // Exactly one of several processes starting at once creates the first access-token signing key.
    const signing = await new SigningKeys(store, systemClock).ensure();
    if (signing.created) logger.info({ kid: signing.kid }, 'created the access-token signing key');
    const app = await buildApp({ config, store, clock: systemClock, logger });
    await app.listen({ host: config.host, port: config.port });
    return { app, store };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the store, exit 0. */
export function closeOnSignals(app: FastifyInstance, store: Store): void {
  let closing = false;
  const stop = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    timer.unref();
    try {
      await app.close();
      await store.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
