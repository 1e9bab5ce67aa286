import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

// Rate limiting and connection settings (tested in rate-limit.test.ts) at their defaults.
const LIMIT_DEFAULTS = {
  rateLimitMax: 600, rateLimitWindowMs: 60_000, authFailureLimit: 100, redisUrl: undefined, requestTimeoutMs: 30_000, headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 72_000, maxConnections: 1024,
};

describe('configuration', () => {
  test('defaults', () => {
    assert.deepEqual({ ...loadConfig({}) }, {
      host: '127.0.0.1', port: 8080, databaseUrl: 'sqlite:./data/oem.sqlite', logLevel: 'info', bodyLimit: 1048576, bootstrapApiKey: undefined,
      tokenIssuer: 'oem-customer-server', ...LIMIT_DEFAULTS,
    });
    assert.ok(Object.isFrozen(loadConfig({})));
  });

  test('values are read and converted', () => {
    const c = loadConfig({ HOST: '0.0.0.0', PORT: '9000', DATABASE_URL: 'postgres://u@h/d', LOG_LEVEL: 'DEBUG', BODY_LIMIT: '512kb', OEM_BOOTSTRAP_API_KEY: 'oem_abcdefghijklmnopqrstuvwxyz' });
    assert.deepEqual({ ...c }, { host: '0.0.0.0', port: 9000, databaseUrl: 'postgres://u@h/d', logLevel: 'debug', bodyLimit: 524288, bootstrapApiKey: 'oem_abcdefghijklmnopqrstuvwxyz', tokenIssuer: 'oem-customer-server', ...LIMIT_DEFAULTS });
    assert.equal(loadConfig({ BODY_LIMIT: '2mb' }).bodyLimit, 2 * 1024 * 1024);
    assert.equal(loadConfig({ BODY_LIMIT: '100' }).bodyLimit, 100);
  });

  test('bad values name the setting', () => {
    for (const [env, name] of [
      [{ PORT: 'abc' }, 'PORT'], [{ PORT: '70000' }, 'PORT'], [{ PORT: '-1' }, 'PORT'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'], [{ BODY_LIMIT: '-1' }, 'BODY_LIMIT'], [{ BODY_LIMIT: '0' }, 'BODY_LIMIT'], [{ BODY_LIMIT: '1gb' }, 'BODY_LIMIT'],
      [{ OEM_BOOTSTRAP_API_KEY: 'short' }, 'OEM_BOOTSTRAP_API_KEY'], [{ OEM_BOOTSTRAP_API_KEY: 'has spaces in the middle of it' }, 'OEM_BOOTSTRAP_API_KEY'],
    ] as const) {
      assert.throws(() => loadConfig(env), (e: Error) => e instanceof ConfigError && e.message.startsWith(name), JSON.stringify(env));
    }
  });
});
