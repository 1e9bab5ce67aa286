// The server process (`npm start` → src/main.ts): bootstrap on first start, restarts, SIGTERM,
// one log line per request, no secret in any output, configuration errors and defaults.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { systemClock } from '../src/clock.js';
import { migrationNames } from '../src/db/migrations.js';
import { openStore, type Store } from '../src/db/store.js';
import { countRows, STORE_KINDS } from './helpers/harness.js';
import { api, connects, emptyStore, MAIN_JS, runNode, scope, slowPost, startNodeServer, type ApiResponse, type Defer, type ServerProcess } from './helpers/process.js';

const KEY_RE = /oem_[A-Za-z0-9_-]{20,}/g;
const started: { proc: ServerProcess; printedKey?: string }[] = [];
const SECRETS = new Set<string>();
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const output = (p: ServerProcess) => p.stdout() + p.stderr();
const cust = (i: number | string) => ({ externalId: `c${i}`, name: `Customer ${i}` });
const secret = (s: string) => (SECRETS.add(s), s);
const presetKey = () => secret(`preset_${randomBytes(16).toString('hex')}`);
/** Every stdout line parsed as JSON: throws on any line that is not. */
const jsonLines = (p: ServerProcess) => p.stdout().split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

after(async () => {
  await Promise.all(started.map(({ proc }) => proc.stop('SIGKILL')));
});

function start(defer: Defer, env: Record<string, string | undefined>, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<ServerProcess> {
  const pending = startNodeServer(MAIN_JS, [], env, opts).then((proc) => (started.push({ proc }), proc));
  defer(async () => (await pending).stop('SIGKILL'));
  return pending;
}

/** The cleanups of test t, and an empty store that is removed after it. */
async function setup(t: TestContext, kind: 'sqlite' | 'postgres') {
  const defer = scope(t);
  const store = await emptyStore(kind);
  defer(() => store.destroy());
  return { defer, store };
}

async function withStore<T>(url: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await openStore(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
const accountsOf = (url: string) => withStore(url, (s) => s.db.selectFrom('accounts').select(['name', 'oem_enabled']).execute());

/** Uses every permission once; returns what it created. */
async function useEveryPermission(baseUrl: string, key: string) {
  const app = await api(baseUrl, 'POST', '/v2/apps', { key, body: { name: 'Kept app' } });
  assert.equal(app.status, 201, app.text);
  assert.equal((await api(baseUrl, 'GET', '/v2/apps', { key })).status, 200);
  const ks = await api(baseUrl, 'POST', '/v2/keysets', { key, body: { keyset: { name: 'K', appId: app.json.id, type: 'testing' } } });
  assert.equal(ks.status, 201, ks.text);
  assert.match(secret(ks.json.keyset.secretKeys[0].secretKey), /^sec-c-/);
  const keysetId = Number(ks.json.keyset.id);
  const got = await api(baseUrl, 'GET', `/v2/keysets/${keysetId}`, { key });
  assert.equal(got.status, 200);
  assert.ok(!got.text.includes(ks.json.keyset.secretKeys[0].secretKey), 'GET /v2/keysets/:id shows the secret key');
  const c = await api(baseUrl, 'POST', '/v2/oem/customers', { key, body: { ...cust('kept'), keysetIds: [keysetId] } });
  assert.equal(c.status, 200, c.text);
  return { appId: String(app.json.id), keysetId, customer: c.json.result };
}

for (const kind of STORE_KINDS) {
  describe(`server process [${kind}]`, () => {
    test('first start on an empty store prints a generated key once, explained, that holds every permission; a second start bootstraps nothing', async (t) => {
      const { defer, store } = await setup(t, kind);
      const env = { DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: undefined };
      const first = await start(defer, env);
      const keys = output(first).match(KEY_RE) ?? [];
      assert.equal(keys.length, 1, `expected the generated key exactly once:\n${output(first)}`);
      const key = secret(keys[0]!);
      started.find((s) => s.proc === first)!.printedKey = key;
      const prose = first.stdout().split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
      assert.ok(prose.some((l) => !l.includes(key) && /api key/i.test(l)), `no line says what the key is:\n${prose.join('\n')}`);
      await useEveryPermission(first.baseUrl, key);
      assert.equal(await first.stop(), 0);
      assert.deepEqual(await accountsOf(store.url), [{ name: 'Default partner', oem_enabled: 1 }]);
      assert.equal(await withStore(store.url, async (s) => (await s.db.selectFrom('api_keys').select('key_hash').execute()).map((r) => r.key_hash).join()), sha256(key));

      const second = await start(defer, env);
      assert.doesNotThrow(() => jsonLines(second), 'a second start prints something that is not a log line');
      assert.deepEqual(output(second).match(KEY_RE), null);
      assert.equal((await api(second.baseUrl, 'POST', '/v2/oem/customers', { key, body: cust(2) })).status, 200);
      assert.equal(await second.stop(), 0);
      assert.equal((await accountsOf(store.url)).length, 1);
    });

    test('OEM_BOOTSTRAP_API_KEY becomes the bootstrap key, is never printed, and a later start ignores a new one', async (t) => {
      const { defer, store } = await setup(t, kind);
      const preset = presetKey();
      const p = await start(defer, { DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: preset });
      assert.equal((await api(p.baseUrl, 'POST', '/v2/oem/customers', { key: preset, body: cust(1) })).status, 200);
      assert.equal((await api(p.baseUrl, 'POST', '/v2/oem/customers', { key: `Bearer ${preset}`, body: cust(2) })).status, 200);
      assert.equal(await p.stop(), 0);
      assert.doesNotThrow(() => jsonLines(p), 'something other than log lines was printed');
      assert.ok(!output(p).includes(preset) && output(p).match(KEY_RE) === null, 'a key was printed');
      const other = presetKey();
      const again = await start(defer, { DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: other });
      assert.equal((await api(again.baseUrl, 'POST', '/v2/oem/customers', { key: other, body: cust(3) })).status, 401);
      assert.equal((await api(again.baseUrl, 'POST', '/v2/oem/customers', { key: preset, body: cust(3) })).status, 200);
      assert.equal(await again.stop(), 0);
      assert.deepEqual(await accountsOf(store.url), [{ name: 'Default partner', oem_enabled: 1 }]);
      assert.deepEqual(await withStore(store.url, (s) => s.db.selectFrom('api_keys').select('key_hash').execute()), [{ key_hash: sha256(preset) }]);
    });

    test('data survives a restart', async (t) => {
      const { defer, store } = await setup(t, kind);
      const key = presetKey();
      const p1 = await start(defer, { DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: key });
      const made = await useEveryPermission(p1.baseUrl, key);
      assert.equal(await p1.stop(), 0);
      const p2 = await start(defer, { DATABASE_URL: store.url });
      const app = await api(p2.baseUrl, 'GET', `/v2/apps/${made.appId}`, { key });
      assert.equal(app.status, 200, app.text);
      assert.equal(app.json.name, 'Kept app');
      assert.equal((await api(p2.baseUrl, 'GET', `/v2/keysets/${made.keysetId}`, { key })).json.appId, made.appId);
      assert.equal(await withStore(store.url, (s) => countRows(s, 'customers')), 1);
      assert.deepEqual(await withStore(store.url, (s) => s.db.selectFrom('customers').select(['id', 'external_id', 'name']).execute()),
        [{ id: made.customer.id, external_id: 'ckept', name: 'Customer kept' }]);
      assert.equal(await p2.stop(), 0);
    });

    for (const keepAlive of [false, true]) {
      test(`SIGTERM${keepAlive ? ' (keep-alive clients)' : ''}: new connections are refused, requests in flight get their answers, exit code 0`, async (t) => {
        const { defer, store } = await setup(t, kind);
        const key = presetKey();
        const p = await start(defer, { DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: key });
        const agent = new http.Agent({ keepAlive });
        defer(async () => agent.destroy());
        const inFlight = [0, 1, 2, 3].map((i) => slowPost(`${p.baseUrl}/v2/oem/customers`, { Authorization: key, 'PubNub-Version': '2026-02-09' }, cust(i), agent));
        await sleep(500); // the server has read their headers
        p.child.kill('SIGTERM');
        const port = Number(new URL(p.baseUrl).port);
        let refused = false;
        for (let i = 0; i < 50 && !refused; i++) refused = !(await connects(port)) || (await sleep(100), false);
        assert.ok(refused, 'still accepting connections after SIGTERM');
        for (const r of inFlight) r.finish();
        const answers = await Promise.all(inFlight.map((r) => r.response));
        assert.deepEqual(answers.map((a) => [a.status, a.json?.result?.externalId]), [0, 1, 2, 3].map((i) => [200, `c${i}`]));
        const code = await Promise.race([p.exited, sleep(5_000).then(() => 'still running 5 s after its last answer')]);
        assert.equal(code, 0);
        assert.equal(await withStore(store.url, (s) => countRows(s, 'customers')), 4);
      });
    }

    test('logs: stdout is JSON lines, one "request completed" line per request with requestId = Request-Id, route, status, durationMs', async (t) => {
      const { defer, store } = await setup(t, kind);
      const key = presetKey();
      const p = await start(defer, { DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: key });
      const calls: { r: ApiResponse; status: number; route?: string }[] = [];
      const call = async (status: number, method: string, url: string, opts: Parameters<typeof api>[3] = {}, route?: string) => {
        const r = await api(p.baseUrl, method, url, opts);
        assert.equal(r.status, status, `${method} ${url}: ${r.text.slice(0, 300)}`);
        calls.push({ r, status, route });
        return r;
      };
      assert.deepEqual((await call(200, 'GET', '/healthz', {}, '/healthz')).json, { status: 'ok' });
      const app = await call(201, 'POST', '/v2/apps', { key, body: { name: 'Logged' } }, '/v2/apps');
      await call(200, 'GET', `/v2/apps/${app.json.id}`, { key }, '/v2/apps/:id');
      await call(200, 'POST', '/v2/oem/customers', { key, body: cust(1) }, '/v2/oem/customers');
      await call(400, 'POST', '/v2/oem/customers', { key, body: { externalId: 'bad id' } }, '/v2/oem/customers');
      await call(401, 'POST', '/v2/oem/customers', { key: secret(`oem_${randomBytes(32).toString('base64url')}`), body: cust(2) }, '/v2/oem/customers');
      await call(404, 'GET', '/nowhere');
      // The default BODY_LIMIT is 1 MiB: at the limit the body is read (and refused as invalid), one byte more is 413.
      const sized = (n: number) => JSON.stringify({ externalId: 'big', name: 'y'.repeat(n - JSON.stringify({ externalId: 'big', name: '' }).length) });
      await call(400, 'POST', '/v2/oem/customers', { key, raw: sized(1024 * 1024) }, '/v2/oem/customers');
      const big = await call(413, 'POST', '/v2/oem/customers', { key, raw: sized(1024 * 1024 + 1) }, '/v2/oem/customers');
      assert.equal(big.json.error, 'PayloadTooLarge');
      assert.equal(await p.stop(), 0);

      const lines = jsonLines(p);
      const completed = lines.filter((l) => l.msg === 'request completed');
      assert.equal(completed.length, calls.length, 'not one line per request');
      const ids = calls.map((c) => c.r.headers.get('request-id'));
      assert.equal(new Set(ids).size, calls.length, 'Request-Id missing or repeated');
      for (const [i, c] of calls.entries()) {
        const mine = completed.filter((l) => l.requestId === ids[i]);
        assert.equal(mine.length, 1, `request ${i}: ${mine.length} lines for Request-Id ${ids[i]}`);
        const l = mine[0]!;
        assert.equal(l.status, c.status);
        assert.equal(typeof l.route, 'string');
        if (c.route) assert.equal(l.route, c.route);
        assert.ok(typeof l.durationMs === 'number' && l.durationMs >= 0, `durationMs ${l.durationMs}`);
      }
    });

    test('no key, Authorization value or keyset secret reaches the output, even at LOG_LEVEL=trace', async (t) => {
      const { defer, store } = await setup(t, kind);
      const preset = presetKey();
      const p = await start(defer, { DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: preset, LOG_LEVEL: 'trace' });
      const [made, revoked] = await withStore(store.url, async (s) => {
        const accounts = new AccountsService(s.db, systemClock);
        const a = await accounts.createApiKey({ accountId: 1, permissions: ['oem:read', 'oem:write', 'apps:read', 'apps:write', 'keysets:read', 'keysets:write'] });
        const b = await accounts.createApiKey({ accountId: 1, permissions: ['oem:write'] });
        await accounts.revokeApiKey(b.id);
        return [secret(a.key), secret(b.key)];
      });
      await useEveryPermission(p.baseUrl, `Bearer ${made}`);
      assert.equal((await api(p.baseUrl, 'POST', '/v2/oem/customers', { key: preset, body: cust(9) })).status, 200);
      assert.equal((await api(p.baseUrl, 'POST', '/v2/oem/customers', { key: revoked, body: cust(10) })).status, 401);
      const wrongKey = secret(`wrong_${randomBytes(16).toString('hex')}`);
      const wrong = await api(p.baseUrl, 'POST', '/v2/oem/customers', { key: `Bearer ${wrongKey}`, body: cust(11) });
      assert.equal(wrong.status, 401);
      assert.ok(!wrong.text.includes(wrongKey), 'a 401 echoes the presented key');
      assert.equal(await p.stop(), 0);
      for (const s of SECRETS) assert.ok(!output(p).includes(s), `a secret is in the output: ${s.slice(0, 10)}…`);
    });

    test('4 servers started at once on one empty store all come up; migrations run once, one bootstrap account and key', async (t) => {
      const { defer, store } = await setup(t, kind);
      const procs = await Promise.all([0, 1, 2, 3].map(() => start(defer, { DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: undefined })));
      const printed = procs.flatMap((p) => output(p).match(KEY_RE) ?? []);
      assert.equal(printed.length, 1, 'the generated key is not printed exactly once');
      const key = secret(printed[0]!);
      started.find((s) => output(s.proc).includes(key))!.printedKey = key;
      assert.equal(procs.filter((p) => p.stdout().includes('"msg":"migrations applied"')).length, 1, 'migrations applied by more or fewer than one process');
      for (const [i, p] of procs.entries()) assert.equal((await api(p.baseUrl, 'POST', '/v2/oem/customers', { key, body: cust(i) })).status, 200);
      assert.deepEqual(await Promise.all(procs.map((p) => p.stop())), [0, 0, 0, 0]);
      assert.deepEqual(await accountsOf(store.url), [{ name: 'Default partner', oem_enabled: 1 }]);
      assert.equal(await withStore(store.url, async (s) => (await s.db.selectFrom('api_keys').selectAll().execute()).length), 1);
      const migrations = await withStore(store.url, (s) => s.db.selectFrom('kysely_migration' as any).select('name' as any).execute());
      assert.deepEqual(migrations.map((m: any) => m.name).sort(), migrationNames(kind));
    });
  });
}

test('bad configuration: a non-zero exit and a clear message naming the setting, no stack trace, no password', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-badcfg-'));
  try {
    // [environment, the message must match, a value that must not be printed]
    const cases: [Record<string, string>, RegExp, string?][] = [
      [{ PORT: 'abc' }, /PORT/], [{ PORT: '70000' }, /PORT/],
      [{ DATABASE_URL: 'mysql://admin:hunter2pw@x/db' }, /DATABASE_URL/, 'hunter2pw'],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
      [{ BODY_LIMIT: '-1' }, /BODY_LIMIT/], [{ BODY_LIMIT: 'lots' }, /BODY_LIMIT/], [{ BODY_LIMIT: '0' }, /BODY_LIMIT/],
      [{ OEM_BOOTSTRAP_API_KEY: 'tooShort1' }, /OEM_BOOTSTRAP_API_KEY/, 'tooShort1'],
      [{ OEM_BOOTSTRAP_API_KEY: 'long enough but has spaces' }, /OEM_BOOTSTRAP_API_KEY/, 'but has spaces'],
    ];
    const runs = await Promise.all(cases.map(([env]) => runNode(MAIN_JS, [], { env: { PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${dir}/x.sqlite`, ...env }, timeoutMs: 30_000 })));
    for (const [i, [env, message, hidden]] of cases.entries()) {
      const r = runs[i]!;
      const what = `${JSON.stringify(env)} → ${r.code}: ${r.stderr}`;
      assert.ok(r.code !== 0 && r.code !== null, what);
      assert.match(r.stderr, message, what);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `stack trace: ${what}`);
      assert.ok(!r.stdout.includes('Server listening'), what);
      if (hidden) assert.ok(!(r.stdout + r.stderr).includes(hidden), `a secret value is printed: ${what}`);
    }
    const pgDown = await runNode(MAIN_JS, [], { env: { PORT: '0', DATABASE_URL: 'postgres://admin:s3cretpw@127.0.0.1:1/db' }, timeoutMs: 30_000 });
    assert.ok(pgDown.code !== 0 && pgDown.code !== null, pgDown.stderr);
    assert.ok(!(pgDown.stdout + pgDown.stderr).includes('s3cretpw'), 'the database password is printed');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('BODY_LIMIT=1kb: a 1024-byte body is read, a 1025-byte body is 413 and writes nothing', async (t) => {
  const { defer, store } = await setup(t, 'sqlite');
  const key = presetKey();
  const p = await start(defer, { DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: key, BODY_LIMIT: '1kb' });
  const body = (n: number) => JSON.stringify({ externalId: 'e', name: 'y'.repeat(n - JSON.stringify({ externalId: 'e', name: '' }).length) });
  assert.equal((await api(p.baseUrl, 'POST', '/v2/oem/customers', { key, raw: body(1024) })).status, 400);
  const r = await api(p.baseUrl, 'POST', '/v2/oem/customers', { key, raw: body(1025) });
  assert.equal(r.status, 413);
  assert.deepEqual([r.json.statusCode, r.json.error, Array.isArray(r.json.message)], [413, 'PayloadTooLarge', true]);
  assert.equal((await api(p.baseUrl, 'POST', '/v2/oem/customers', { key, body: cust(1) })).status, 200);
  assert.equal(await p.stop(), 0);
  assert.equal(await withStore(store.url, (s) => countRows(s, 'customers')), 1);
});

test('defaults: ./data/oem.sqlite under the working directory (folder created), HOST 127.0.0.1, PORT 8080', async (t) => {
  const defer = scope(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-cwd-'));
  defer(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const free = await new Promise<boolean>((resolve) => {
    const s = net.createServer().once('error', () => resolve(false)).listen(8080, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  const key = presetKey();
  const p = await start(defer, { DATABASE_URL: undefined, HOST: undefined, PORT: free ? undefined : '0', OEM_BOOTSTRAP_API_KEY: key }, { cwd: dir });
  if (free) assert.equal(p.baseUrl, 'http://127.0.0.1:8080');
  else t.diagnostic('port 8080 is busy: the default PORT was not checked');
  assert.ok(fs.existsSync(path.join(dir, 'data/oem.sqlite')), 'no ./data/oem.sqlite under the working directory');
  assert.equal((await api(p.baseUrl, 'GET', '/healthz')).status, 200);
  assert.equal((await api(p.baseUrl, 'POST', '/v2/oem/customers', { key, body: cust(1) })).status, 200);
  assert.equal(await p.stop(), 0);
  assert.equal(await withStore(`sqlite:${path.join(dir, 'data/oem.sqlite')}`, (s) => countRows(s, 'customers')), 1);
});

test('no output of any server started here holds a key or secret, except the one generated-key line of a first start', () => {
  assert.ok(started.length > 0 && SECRETS.size > 0);
  for (const { proc, printedKey } of started) {
    const text = output(proc);
    for (const s of SECRETS) {
      const lines = text.split('\n').filter((l) => l.includes(s));
      if (s === printedKey) assert.ok(lines.length === 1 && !lines[0]!.startsWith('{'), 'the generated key is not on exactly one non-log line');
      else assert.deepEqual(lines, [], `a secret is in a server's output: ${s.slice(0, 10)}…`);
    }
  }
});
