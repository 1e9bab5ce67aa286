// Entry point of `npm start`.
import { ConfigError } from './config.js';
import { StoreUrlError } from './db/store.js';
import { closeOnSignals, startServer } from './server.js';

try {
  const { app, store } = await startServer();
  closeOnSignals(app, store);
} catch (error) {
  if (error instanceof ConfigError || error instanceof StoreUrlError) {
    process.stderr.write(`oem: ${error.message}\n`);
  } else {
    process.stderr.write(`oem: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
}
