// Rate limiting per caller (CONTRACT §2): each API key and each legacy session has its own budget;
// past it, 429 in the envelope with Retry-After and RateLimit-* headers. Exempt routes are never
// limited; counts are shared across app instances through Redis when REDIS_URL is set.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { UsersService } from '../src/users/users.service.js';
import { fails, ok } from './helpers/assertions.js';
import { countRows, DEFAULT_VERSION, describeEachStore } from './helpers/harness.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisAnswers(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

describeEachStore('rate limiting', (h) => {
  const apps: FastifyInstance[] = [];
  async function limited(max: number, windowMs = 60_000, extra: { redisUrl?: string; rateLimitNamespace?: string; authFailureLimit?: number } = {}) {
    const app = await buildApp({ config: { bodyLimit: 1024 * 1024, rateLimitMax: max, rateLimitWindowMs: windowMs, ...extra }, store: h().store, clock: h().clock });
    apps.push(app);
    return app;
  }
  const get = (app: FastifyInstance, url: string, key?: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { ...(key ? { authorization: key } : {}), 'pubnub-version': DEFAULT_VERSION, ...headers } });
  test.after(async () => {
    for (const app of apps) await app.close();
  });

  test('past the limit: 429 in the envelope, with Retry-After and RateLimit-* headers; nothing is written', async () => {
    const app = await limited(3);
    const acc = await h().account();
    for (let i = 0; i < 3; i++) {
      const r = await get(app, '/v2/apps', acc.key);
      ok(r);
      assert.equal(r.headers['ratelimit-limit'], '3');
      assert.equal(r.headers['ratelimit-remaining'], String(2 - i));
      assert.ok(Number(r.headers['ratelimit-reset']) > 0 && Number(r.headers['ratelimit-reset']) <= 60);
    }
    const r = await get(app, '/v2/apps', acc.key);
    fails(r, 429, /^rate limit of 3 requests exceeded; retry in /);
    const retryAfter = Number(r.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, String(r.headers['retry-after']));
    assert.equal(r.headers['ratelimit-limit'], '3');
    assert.equal(r.headers['ratelimit-remaining'], '0');
    assert.ok(r.headers['request-id']);
    // A refused write is refused before its body is read: nothing stored.
    const before = await countRows(h().store, 'apps');
    const post = await app.inject({
      method: 'POST', url: '/v2/apps', payload: { name: 'x' },
      headers: { authorization: acc.key, 'pubnub-version': DEFAULT_VERSION, 'content-type': 'application/json' },
    });
    fails(post, 429, /^rate limit of 3 requests exceeded/);
    assert.equal(await countRows(h().store, 'apps'), before);
  });

  test('each API key has its own budget, and a legacy session counts separately', async () => {
    const app = await limited(2);
    const acc = await h().account();
    const second = (await h().accounts.createApiKey({ accountId: acc.accountId, permissions: ['apps:read'] })).key;
    ok(await get(app, '/v2/apps', acc.key));
    ok(await get(app, '/v2/apps', acc.key));
    assert.equal((await get(app, '/v2/apps', acc.key)).statusCode, 429);
    ok(await get(app, '/v2/apps', second));
    ok(await get(app, '/v2/apps', second));
    assert.equal((await get(app, '/v2/apps', second)).statusCode, 429);
    // The account's session (from POST /api/me, counted by address) has a budget of its own.
    const email = `rl-${acc.accountId}@example.com`;
    await new UsersService(h().store, h().clock).createUser({ accountId: acc.accountId, email, password: 'correct horse battery staple' });
    const login = await app.inject({ method: 'POST', url: '/api/me', payload: { email, password: 'correct horse battery staple' } });
    const token = ok(login).result.token as string;
    ok(await app.inject({ method: 'GET', url: '/api/oem/customers', headers: { 'x-session-token': token } }));
    ok(await app.inject({ method: 'GET', url: '/api/oem/customers', headers: { 'x-session-token': token } }));
    fails(await app.inject({ method: 'GET', url: '/api/oem/customers', headers: { 'x-session-token': token } }), 429, /^rate limit/);
    // …and another account's key is untouched by all of that.
    ok(await get(app, '/v2/apps', (await h().account()).key));
  });

  test('health, readiness, metrics, the API reference and the JWKS are never limited', async () => {
    const app = await limited(1);
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/docs/json', '/.well-known/jwks.json']) {
      for (let i = 0; i < 3; i++) {
        const r = await get(app, url);
        assert.ok(r.statusCode < 400, `${url}: ${r.statusCode}`);
        assert.equal(r.headers['ratelimit-limit'], undefined, url);
      }
    }
  });

  test('the budget comes back after the window', async () => {
    const app = await limited(1, 1_000);
    const acc = await h().account();
    ok(await get(app, '/v2/apps', acc.key));
    const refused = await get(app, '/v2/apps', acc.key);
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '1');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    ok(await get(app, '/v2/apps', acc.key));
  });

  test('rateLimitMax 0, or no setting at all (the tests\' apps), limits nothing', async () => {
    const acc = await h().account();
    for (const app of [await limited(0), h().app as FastifyInstance]) {
      for (let i = 0; i < 5; i++) {
        const r = await get(app, '/v2/apps', acc.key);
        ok(r);
        assert.equal(r.headers['ratelimit-limit'], undefined);
      }
    }
  });

  test('failed sign-ins: past the limit an address gets 429 before any credential is checked, the good key included', async () => {
    const app = await limited(0, 60_000, { authFailureLimit: 3 });
    const acc = await h().account();
    const email = `af-${acc.accountId}@example.com`;
    await new UsersService(h().store, h().clock).createUser({ accountId: acc.accountId, email, password: 'correct horse battery staple' });
    // Successes are not counted.
    for (let i = 0; i < 5; i++) ok(await get(app, '/v2/apps', acc.key));
    // Three failures of any kind: a wrong key, no key, a wrong password.
    fails(await get(app, '/v2/apps', 'oem_wrong_key_0000000000000000000000000000'), 401, /.+/);
    fails(await get(app, '/v2/apps'), 401, /.+/);
    fails(await app.inject({ method: 'POST', url: '/api/me', payload: { email, password: 'wrong password!' } }), 401, /.+/);
    // From now on this address is refused up front — a right key and a right password too.
    const refused = await get(app, '/v2/apps', acc.key);
    fails(refused, 429, /^too many failed sign-ins from this address \(3 in the window\); retry in \d+ seconds$/);
    assert.ok(Number(refused.headers['retry-after']) > 0 && Number(refused.headers['retry-after']) <= 60);
    fails(await app.inject({ method: 'POST', url: '/api/me', payload: { email, password: 'correct horse battery staple' } }), 429, /^too many failed/);
    // Another address is unaffected, and exempt routes stay open.
    ok(await app.inject({ method: 'GET', url: '/v2/apps', remoteAddress: '10.1.2.3', headers: { authorization: acc.key, 'pubnub-version': DEFAULT_VERSION } }));
    assert.equal((await get(app, '/healthz')).statusCode, 200);
  });

  test('failed sign-ins: the count empties after the window; authFailureLimit 0 counts nothing', async () => {
    const app = await limited(0, 1_000, { authFailureLimit: 1 });
    const acc = await h().account();
    fails(await get(app, '/v2/apps', 'oem_wrong'), 401, /.+/);
    fails(await get(app, '/v2/apps', acc.key), 429, /^too many failed/);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    ok(await get(app, '/v2/apps', acc.key));
    const open = await limited(0, 1_000, { authFailureLimit: 0 });
    for (let i = 0; i < 5; i++) fails(await get(open, '/v2/apps', 'oem_wrong'), 401, /.+/);
    ok(await get(open, '/v2/apps', acc.key));
  });

  test('with Redis, two app instances share one count', async (t) => {
    if (!(await redisAnswers())) {
      t.skip(`Redis does not answer at ${REDIS_URL} (start one, or set TEST_REDIS_URL)`);
      return;
    }
    const namespace = `oem-rl-test-${randomBytes(6).toString('hex')}:`;
    const a = await limited(3, 60_000, { redisUrl: REDIS_URL, rateLimitNamespace: namespace });
    const b = await limited(3, 60_000, { redisUrl: REDIS_URL, rateLimitNamespace: namespace });
    const acc = await h().account();
    ok(await get(a, '/v2/apps', acc.key));
    assert.equal((await get(b, '/v2/apps', acc.key)).headers['ratelimit-remaining'], '1');
    ok(await get(a, '/v2/apps', acc.key));
    fails(await get(b, '/v2/apps', acc.key), 429, /^rate limit of 3/);
    fails(await get(a, '/v2/apps', acc.key), 429, /^rate limit of 3/);
    ok(await get(b, '/v2/apps', (await h().account()).key));
  });
});

test('rate-limit and connection settings: defaults, values and bad values naming the setting', () => {
  const d = loadConfig({});
  assert.deepEqual(
    [d.rateLimitMax, d.rateLimitWindowMs, d.authFailureLimit, d.redisUrl, d.requestTimeoutMs, d.headersTimeoutMs, d.keepAliveTimeoutMs, d.maxConnections],
    [600, 60_000, 100, undefined, 30_000, 10_000, 72_000, 1024],
  );
  const c = loadConfig({
    RATE_LIMIT_MAX: '0', RATE_LIMIT_WINDOW: '1m', AUTH_FAILURE_LIMIT: '0', REDIS_URL: 'redis://127.0.0.1:6379/2', REQUEST_TIMEOUT: '5s',
    HEADERS_TIMEOUT: '2000', KEEP_ALIVE_TIMEOUT: '10s', MAX_CONNECTIONS: '0',
  });
  assert.deepEqual(
    [c.rateLimitMax, c.rateLimitWindowMs, c.authFailureLimit, c.redisUrl, c.requestTimeoutMs, c.headersTimeoutMs, c.keepAliveTimeoutMs, c.maxConnections],
    [0, 60_000, 0, 'redis://127.0.0.1:6379/2', 5_000, 2_000, 10_000, 0],
  );
  assert.equal(loadConfig({ RATE_LIMIT_WINDOW: '60s' }).rateLimitWindowMs, 60_000);
  assert.equal(loadConfig({ RATE_LIMIT_WINDOW: '1h' }).rateLimitWindowMs, 3_600_000);
  assert.equal(loadConfig({ REQUEST_TIMEOUT: '5s' }).headersTimeoutMs, 5_000, 'the header deadline never exceeds the request deadline');
  for (const [env, name] of [
    [{ RATE_LIMIT_MAX: '-1' }, 'RATE_LIMIT_MAX'], [{ RATE_LIMIT_MAX: 'lots' }, 'RATE_LIMIT_MAX'], [{ RATE_LIMIT_MAX: '1.5' }, 'RATE_LIMIT_MAX'],
    [{ RATE_LIMIT_WINDOW: '1 minute' }, 'RATE_LIMIT_WINDOW'], [{ RATE_LIMIT_WINDOW: '0s' }, 'RATE_LIMIT_WINDOW'], [{ RATE_LIMIT_WINDOW: '10ms' }, 'RATE_LIMIT_WINDOW'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'], [{ REQUEST_TIMEOUT: 'soon' }, 'REQUEST_TIMEOUT'], [{ HEADERS_TIMEOUT: '-5' }, 'HEADERS_TIMEOUT'],
    [{ REQUEST_TIMEOUT: '5s', HEADERS_TIMEOUT: '10s' }, 'HEADERS_TIMEOUT'], [{ KEEP_ALIVE_TIMEOUT: '1d' }, 'KEEP_ALIVE_TIMEOUT'],
    [{ MAX_CONNECTIONS: 'many' }, 'MAX_CONNECTIONS'], [{ AUTH_FAILURE_LIMIT: 'x' }, 'AUTH_FAILURE_LIMIT'],
  ] as const) {
    assert.throws(() => loadConfig(env), (e: Error) => e instanceof ConfigError && e.message.startsWith(name), JSON.stringify(env));
  }
  assert.throws(() => loadConfig({ REDIS_URL: 'redis//user:hunter2@host' }), (e: Error) => !e.message.includes('hunter2'), 'a bad REDIS_URL is not echoed (it may hold a password)');
});
