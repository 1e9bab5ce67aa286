// The `oem` command (bin/oem.js → src/cli/oem.ts): output shapes, argument errors, and that the
// keys it prints work, die when revoked or expired, and are stored only as SHA-256 hashes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { openStore } from '../src/db/store.js';
import { freshStore, STORE_KINDS, type StoreHandle } from './helpers/harness.js';
import { api, BUILD_ROOT, CLI_JS, emptyStore, runNode, startNodeServer } from './helpers/process.js';

const ALL = ['oem:read', 'oem:write', 'apps:read', 'apps:write', 'keysets:read', 'keysets:write'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KEY_INFO_FIELDS = ['accountId', 'createdAt', 'expiresAt', 'id', 'permissions', 'prefix', 'revokedAt'];
const TABLES = ['accounts', 'api_keys', 'apps', 'keysets', 'customers', 'customer_keysets', 'oem_meta'] as const;
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Maps with at most `n` calls at a time (each CLI run is a node process). */
async function pool<T, R>(items: T[], fn: (item: T) => Promise<R>, n = 4): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}

function repoRoot(): string {
  let dir = BUILD_ROOT;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    assert.notEqual(path.dirname(dir), dir, 'package.json not found above the build root');
    dir = path.dirname(dir);
  }
  return dir;
}

test('bin/oem.js is an executable node script that loads ../dist/src/cli/oem.js, and package.json names it', () => {
  const root = repoRoot();
  const bin = path.join(root, 'bin/oem.js');
  assert.ok(fs.existsSync(bin));
  assert.ok((fs.statSync(bin).mode & 0o111) !== 0, 'bin/oem.js is not executable');
  const text = fs.readFileSync(bin, 'utf8');
  assert.match(text, /^#!\/usr\/bin\/env node\n/);
  assert.match(text, /import\s*(\(\s*)?['"]\.\.\/dist\/src\/cli\/oem\.js['"]/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).bin.oem, 'bin/oem.js');
});

/** Each run must exit non-zero with nothing on stdout and a message (no stack trace) on stderr. */
async function expectFailures(url: string, cases: [string[], RegExp][]): Promise<void> {
  const results = await pool(cases, ([args]) => runNode(CLI_JS, args, { env: { DATABASE_URL: url }, timeoutMs: 30_000 }));
  for (const [i, [args, message]] of cases.entries()) {
    const r = results[i]!;
    const what = `oem ${args.join(' ')} → ${r.code}: ${r.stderr}`;
    assert.ok(r.code !== 0 && r.code !== null, what);
    assert.equal(r.stdout, '', what);
    assert.match(r.stderr, message, what);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `stack trace: ${what}`);
  }
}

test('bad arguments: unknown command or flag, missing flag, bad number or duration → a message on stderr, a non-zero exit', async (t) => {
  const store = await emptyStore('sqlite');
  t.after(() => store.destroy());
  await expectFailures(store.url, [
    [['frobnicate'], /unknown command.*frobnicate/i],
    [['accounts', 'delete'], /unknown command/i],
    [['keys'], /unknown command|usage/i],
    [['accounts', 'create'], /--name/],
    [['accounts', 'create', '--name', 'x', '--bogus'], /bogus/],
    [['keys', 'create', '--permissions', 'oem:read'], /--account/],
    [['keys', 'create', '--account', '1'], /--permissions/],
    ...['abc', '0', '1.5', '-1'].map((v): [string[], RegExp] => [['keys', 'create', `--account=${v}`, '--permissions', 'oem:read'], /--account/]),
    ...['10x', '0s', '1.5h', '-5m', '5'].map((v): [string[], RegExp] => [['keys', 'create', '--account', '1', '--permissions', 'oem:read', `--expires-in=${v}`], /--expires-in/]),
    [['keys', 'list'], /--account/],
    [['keys', 'list', '--account', 'abc'], /--account/],
    [['keys', 'revoke'], /argument|KEY_ID/i],
    [['keys', 'revoke', 'abc'], /KEY_ID|abc/],
    [['migrate', 'now'], /argument/i],
  ]);
});

for (const kind of STORE_KINDS) {
  describe(`oem command [${kind}]`, () => {
    let h: StoreHandle;
    let app: FastifyInstance;
    const shown: string[] = []; // every key `keys create` printed
    before(async () => {
      h = await freshStore(kind);
      app = await buildApp({ config: { bodyLimit: 1024 * 1024 }, store: h.store, clock: systemClock });
    });
    after(async () => {
      await app?.close();
      await h?.destroy();
    });

    const oem = (...args: string[]) => runNode(CLI_JS, args, { env: { DATABASE_URL: h.url, LOG_LEVEL: 'silent' }, timeoutMs: 30_000 });
    /** Exit 0, nothing on stderr, exactly one JSON object on one stdout line. */
    const ok = async (...args: string[]) => {
      const r = await oem(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^\{[^\n]*\}\n$/);
      return { json: JSON.parse(r.stdout), text: r.stdout };
    };
    const account = async (extra: string[] = []) => (await ok('accounts', 'create', '--name', 'CLI partner', ...extra)).json.id as number;
    const createKey = async (accountId: number, permissions = ALL.join(','), extra: string[] = []) => {
      const k = (await ok('keys', 'create', '--account', String(accountId), '--permissions', permissions, ...extra)).json;
      shown.push(k.key);
      return k as { id: number; key: string; accountId: number; permissions: string[]; expiresAt: string | null };
    };
    const call = (key: string, method: 'GET' | 'POST' = 'POST', url = '/v2/oem/customers', body: unknown = { externalId: `c${Math.random().toString(36).slice(2)}`, name: 'n' }) =>
      app.inject({ method, url, headers: { authorization: key, 'pubnub-version': '2026-02-09', ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) }, ...(method === 'POST' ? { payload: JSON.stringify(body) } : {}) });
    const count = async (table: 'accounts' | 'api_keys') => Number((await h.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

    test('accounts create prints {id, name, oemEnabled}; --no-oem disables OEM', async () => {
      const a = await ok('accounts', 'create', '--name', 'Acme Partner Ltd');
      assert.deepEqual(Object.keys(a.json).sort(), ['id', 'name', 'oemEnabled']);
      assert.ok(Number.isSafeInteger(a.json.id) && a.json.id > 0);
      assert.deepEqual(a.json, { id: a.json.id, name: 'Acme Partner Ltd', oemEnabled: true });
      const b = (await ok('accounts', 'create', '--name', 'Plain', '--no-oem')).json;
      assert.deepEqual(b, { id: b.id, name: 'Plain', oemEnabled: false });
      const rows = await h.store.db.selectFrom('accounts').select(['id', 'name', 'oem_enabled']).where('id', 'in', [a.json.id, b.id]).orderBy('id').execute();
      assert.deepEqual(rows.map((r) => [r.name, Number(r.oem_enabled)]), [['Acme Partner Ltd', 1], ['Plain', 0]]);
    });

    test('keys create prints {id, key, accountId, permissions, expiresAt} for one, several and every permission', async () => {
      const acc = await account();
      const forms = [...ALL.map((p) => [p]), ['oem:read', 'oem:write'], ALL];
      const keys = await pool(forms, (perms) => createKey(acc, perms.join(',')));
      for (const [i, perms] of forms.entries()) {
        const k = keys[i]!;
        assert.deepEqual(Object.keys(k).sort(), ['accountId', 'expiresAt', 'id', 'key', 'permissions']);
        assert.ok(Number.isSafeInteger(k.id) && k.id > 0);
        assert.deepEqual({ ...k, id: 0, key: '' }, { id: 0, key: '', accountId: acc, permissions: perms, expiresAt: null });
      }
      // The permissions are what the key may do.
      const [oemWrite, appsRead, appsWrite] = [keys[1]!.key, keys[2]!.key, keys[3]!.key];
      assert.equal((await call(oemWrite)).statusCode, 200);
      assert.equal((await call(oemWrite, 'GET', '/v2/apps')).statusCode, 403);
      assert.equal((await call(appsRead, 'GET', '/v2/apps')).statusCode, 200);
      assert.equal((await call(appsRead, 'POST', '/v2/apps', { name: 'A' })).statusCode, 403);
      assert.equal((await call(appsWrite, 'POST', '/v2/apps', { name: 'A' })).statusCode, 201);
      assert.equal((await call(appsWrite)).statusCode, 403);
    });

    test('--expires-in sets expiresAt to now + the duration', async () => {
      const acc = await account();
      for (const [text, ms] of [['1s', 1_000], ['30m', 1_800_000], ['12h', 43_200_000], ['7d', 604_800_000]] as const) {
        const t0 = Date.now();
        const k = await createKey(acc, 'oem:read', ['--expires-in', text]);
        const t1 = Date.now();
        assert.match(k.expiresAt!, ISO);
        const at = Date.parse(k.expiresAt!);
        assert.ok(at >= t0 + ms - 1000 && at <= t1 + ms + 1000, `${text}: ${k.expiresAt} not within [${new Date(t0 + ms).toISOString()}, ${new Date(t1 + ms).toISOString()}]`);
      }
    });

    test('errors found in the store (unknown account, key or permission; empty name): a message, a non-zero exit, nothing written', async () => {
      const acc = String(await account());
      const before = [await count('accounts'), await count('api_keys')];
      await expectFailures(h.url, [
        [['accounts', 'create', '--name', ''], /name/],
        [['keys', 'create', '--account', acc, '--permissions', 'oem:read,oem:nope'], /oem:nope/],
        [['keys', 'create', '--account', acc, '--permissions', 'admin'], /admin/],
        [['keys', 'create', '--account', acc, '--permissions', ','], /permission/],
        [['keys', 'create', '--account', '999999', '--permissions', 'oem:read'], /999999/],
        [['keys', 'list', '--account', '999999'], /999999/],
        [['keys', 'revoke', '999999'], /999999/],
      ]);
      assert.deepEqual([await count('accounts'), await count('api_keys')], before);
    });

    test('keys list never shows a key; revoke sets revokedAt and the list shows it', async () => {
      const acc = await account();
      const empty = await ok('keys', 'list', '--account', String(acc));
      assert.deepEqual(empty.json, { keys: [] });
      const k1 = await createKey(acc, 'oem:read,oem:write');
      const k2 = await createKey(acc, 'apps:read', ['--expires-in', '7d']);
      const listed = await ok('keys', 'list', '--account', String(acc));
      assert.deepEqual(Object.keys(listed.json), ['keys']);
      assert.deepEqual(listed.json.keys.map((k: { id: number }) => k.id), [k1.id, k2.id]);
      for (const [i, k] of [k1, k2].entries()) {
        const info = listed.json.keys[i];
        assert.deepEqual(Object.keys(info).sort(), KEY_INFO_FIELDS);
        assert.deepEqual([info.accountId, info.permissions, info.expiresAt, info.revokedAt], [acc, k.permissions, k.expiresAt, null]);
        assert.match(info.createdAt, ISO);
        assert.ok(k.key.startsWith(info.prefix) && info.prefix.length <= 12, `prefix ${info.prefix}`);
      }
      const revoked = await ok('keys', 'revoke', String(k1.id));
      assert.deepEqual(Object.keys(revoked.json).sort(), KEY_INFO_FIELDS);
      assert.equal(revoked.json.id, k1.id);
      assert.match(revoked.json.revokedAt, ISO);
      const again = await ok('keys', 'list', '--account', String(acc));
      assert.deepEqual(again.json.keys.map((k: { revokedAt: string | null }) => k.revokedAt), [revoked.json.revokedAt, null]);
      for (const text of [listed.text, revoked.text, again.text]) {
        for (const key of shown) {
          assert.ok(!text.includes(key), 'a key appears in keys list / revoke output');
          assert.ok(!text.includes(sha256(key)), 'a key hash appears in keys list / revoke output');
        }
      }
    });

    test('a created key authenticates; a revoked or expired key gets 401; a --no-oem account gets 403 on OEM routes', async () => {
      const acc = await account();
      const k = await createKey(acc);
      assert.equal((await call(k.key)).statusCode, 200);
      assert.equal((await call(`Bearer ${k.key}`)).statusCode, 200);
      await ok('keys', 'revoke', String(k.id));
      const r = await call(k.key);
      assert.equal(r.statusCode, 401);
      assert.equal(r.json().error, 'Unauthorized');
      const short = await createKey(acc, 'oem:read,oem:write', ['--expires-in', '1s']);
      if (Date.now() < Date.parse(short.expiresAt!) - 300) assert.equal((await call(short.key)).statusCode, 200);
      await sleep(Math.max(0, Date.parse(short.expiresAt!) - Date.now()) + 100);
      assert.equal((await call(short.key)).statusCode, 401);
      const plain = await createKey(await account(['--no-oem']));
      assert.equal((await call(plain.key)).statusCode, 403);
      assert.equal((await call(plain.key, 'POST', '/v2/apps', { name: 'A' })).statusCode, 201);
    });

    test('keys are oem_ + at least 128 random bits, and are stored only as their SHA-256 hash', async () => {
      const acc = await account();
      for (let i = 0; i < 3; i++) await createKey(acc, 'oem:read');
      assert.equal(new Set(shown).size, shown.length, 'two keys are equal');
      for (const key of shown) {
        const m = /^oem_([A-Za-z0-9_-]+)$/.exec(key);
        assert.ok(m, `key format: ${key.slice(0, 6)}…`);
        const alphabet = /^[0-9A-Fa-f]+$/.test(m[1]!) ? 16 : /[-_]/.test(m[1]!) ? 64 : 62;
        assert.ok(m[1]!.length * Math.log2(alphabet) >= 128, `only ${m[1]!.length} random characters`);
      }
      const rows = await h.store.db.selectFrom('api_keys').selectAll().execute();
      for (const key of shown) assert.equal(rows.filter((r) => r.key_hash === sha256(key)).length, 1, 'no row holds the SHA-256 hex of a key');
      for (const table of TABLES) {
        const dump = JSON.stringify(await h.store.db.selectFrom(table).selectAll().execute());
        for (const key of shown) assert.ok(!dump.includes(key) && !dump.includes(key.slice(4)), `a key is stored in ${table}`);
      }
      if (kind === 'sqlite') {
        const file = h.url.slice('sqlite:'.length);
        for (const f of [file, `${file}-wal`].filter((f) => fs.existsSync(f))) {
          const bytes = fs.readFileSync(f);
          for (const key of shown) assert.equal(bytes.indexOf(key.slice(4)), -1, `a key is in ${path.basename(f)}`);
        }
      }
    });

    test('migrate creates the tables of an empty store and prints {migrated: true}', async (t) => {
      const empty = await emptyStore(kind);
      t.after(() => empty.destroy());
      for (let i = 0; i < 2; i++) {
        const r = await runNode(CLI_JS, ['migrate'], { env: { DATABASE_URL: empty.url } });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), { migrated: true });
        assert.match(r.stdout, /^[^\n]+\n$/);
      }
      const store = await openStore(empty.url);
      try {
        for (const table of TABLES) assert.deepEqual(await store.db.selectFrom(table).selectAll().execute(), [], table);
      } finally {
        await store.close();
      }
    });

    test('serve runs the HTTP server on the same store: created keys work, revoked get 401; SIGTERM exits 0', async (t) => {
      const server = await startNodeServer(CLI_JS, ['serve'], { DATABASE_URL: h.url, OEM_BOOTSTRAP_API_KEY: undefined });
      t.after(() => server.stop('SIGKILL'));
      assert.equal((await api(server.baseUrl, 'GET', '/healthz')).status, 200);
      const k = await createKey(await account());
      const body = { externalId: 'served', name: 'n' };
      const r = await api(server.baseUrl, 'POST', '/v2/oem/customers', { key: k.key, body });
      assert.equal(r.status, 200, r.text);
      await ok('keys', 'revoke', String(k.id));
      assert.equal((await api(server.baseUrl, 'POST', '/v2/oem/customers', { key: k.key, body: { externalId: 'late', name: 'n' } })).status, 401);
      assert.equal(await server.stop(), 0);
    });
  });
}
