// `oem seed`: bulk-filled data must be what the API would have made and keep every invariant
// (CONTRACT §3), the API must page through it, and later API writes and seed runs must fit in.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { progressReporter } from '../src/cli/progress.js';
import { listSummariesQuery } from '../src/customers/customers.repository.js';
import { fails, ISO, ok } from './helpers/assertions.js';
import { createHarness, STORE_KINDS, type Harness } from './helpers/harness.js';
import { CLI_JS, emptyStore, runNode } from './helpers/process.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PLAIN_LINE = /^seed: (\d+)\/(\d+) (keysets|customers) \((\d+)%\), \d+\/s$/;
interface Summary { id: string; externalId: string; name: string; created: string; updated: string; appCount: number; keysetCount: number }

test('progress: plain lines at each 10% off a terminal; one bar redrawn in place on one', () => {
  let t = 0;
  const plain: string[] = [];
  const report = progressReporter({ isTTY: false, write: (s) => plain.push(s) }, () => t);
  report('customers', 0, 1000);
  for (let done = 50; done <= 1000; done += 50) {
    t += 10;
    report('customers', done, 1000);
  }
  assert.deepEqual(plain.map((l) => PLAIN_LINE.exec(l.trimEnd())?.[4]), ['10', '20', '30', '40', '50', '60', '70', '80', '90', '100']);
  assert.ok(plain.every((l) => l.endsWith('\n') && !l.includes('\r')));
  assert.equal(plain.at(-1), 'seed: 1000/1000 customers (100%), 5000/s\n');

  const tty: string[] = [];
  t = 0;
  const bar = progressReporter({ isTTY: true, columns: 100, write: (s) => tty.push(s) }, () => t);
  bar('keysets', 0, 10);
  t += 50;
  bar('keysets', 5, 10); // within 100 ms of the last frame: not drawn
  t += 100;
  bar('keysets', 6, 10);
  bar('keysets', 10, 10); // the last frame is always drawn, and ends the line
  assert.equal(tty.length, 3);
  assert.ok(tty.every((f) => f.startsWith('\r\x1b[2Kseed: ')));
  assert.match(tty[1]!, / 60% 6\/10 keysets, \d+\/s$/);
  assert.match(tty[2]!, /█{40} 100% 10\/10 keysets, \d+\/s\n$/);
});

test('bad arguments: the usage on stderr, exit 2, nothing on stdout', async (t) => {
  const store = await emptyStore('sqlite');
  t.after(() => store.destroy());
  const cases: [string[], RegExp][] = [
    [[], /--customers is required/],
    [['--customers'], /customers/],
    [['--customers', '0'], /--customers must be a positive integer/],
    [['--customers', 'abc'], /--customers/],
    [['--customers', '1.5'], /--customers/],
    [['--customers', '100000001'], /--customers must be at most 100000000/],
    [['--customers', '10', '--keysets', '51'], /--keysets must be at most 5 × --customers \(50\)/],
    [['--customers', '10', '--keysets', '-1'], /keysets/],
    [['--customers', '10', '--keysets', 'x'], /--keysets/],
    [['--customers', '10', '--account', '0'], /--account/],
    [['--customers', '10', '--bogus'], /bogus/],
    [['--customers', '10', 'extra'], /argument/],
  ];
  for (const [args, message] of cases) {
    const r = await runNode(CLI_JS, ['seed', ...args], { env: { DATABASE_URL: store.url } });
    const what = `oem seed ${args.join(' ')} → ${r.code}: ${r.stderr}`;
    assert.equal(r.code, 2, what);
    assert.equal(r.stdout, '', what);
    assert.match(r.stderr, message, what);
    assert.match(r.stderr, /usage: oem/, what);
  }
});

for (const kind of STORE_KINDS) {
  describe(`oem seed [${kind}]`, () => {
    let h: Harness;
    const key = `oem_test_seed_${randomBytes(16).toString('hex')}`;
    before(async () => {
      h = await createHarness(kind);
    });
    after(() => h?.close());

    const seed = (args: string[], env: Record<string, string | undefined> = {}) =>
      runNode(CLI_JS, ['seed', ...args], { env: { DATABASE_URL: h.handle.url, OEM_BOOTSTRAP_API_KEY: undefined, ...env }, timeoutMs: 60_000 });
    const get = async (url: string) => ok(await h.request({ method: 'GET', url, key, version: '2026-03-23' }));
    const call = async (method: 'GET' | 'POST', url: string, body?: unknown) => h.request({ method, url, key, ...(body ? { body } : {}) });
    /** Every customer, by cursor pages of `limit`. */
    const walk = async (limit: number) => {
      const rows: Summary[] = [];
      let cursor: string | null = null;
      do {
        const page = ok(await call('GET', `/v2/oem/customers?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
        rows.push(...page.result);
        cursor = page.next;
      } while (cursor);
      return rows;
    };
    const seeded = { runId: '', appId: 0 };

    test('a store without an OEM account and without OEM_BOOTSTRAP_API_KEY: exit 1, nothing written', async () => {
      const r = await seed(['--customers', '10']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /no OEM account.*OEM_BOOTSTRAP_API_KEY/);
      assert.deepEqual(await h.store.db.selectFrom('accounts').selectAll().execute(), []);
    });

    test('2,000 customers and 300 keysets on a store the server never started: bootstrapped as the first start would, then seeded', async () => {
      const r = await seed(['--customers', '2000', '--keysets', '300'], { OEM_BOOTSTRAP_API_KEY: key });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\{[^\n]*\}\n$/);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(out), ['accountId', 'appId', 'runId', 'customers', 'keysets', 'seconds', 'storeBytes']);
      assert.deepEqual({ ...out, appId: 0, runId: '', seconds: 0, storeBytes: 0 }, { accountId: 1, appId: 0, runId: '', customers: 2000, keysets: 300, seconds: 0, storeBytes: 0 });
      assert.match(out.runId, /^[0-9a-f]{8}$/);
      assert.ok(out.seconds > 0 && out.storeBytes > 100_000, r.stdout);
      if (kind === 'sqlite') {
        const file = h.handle.url.slice('sqlite:'.length);
        const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
        assert.equal(out.storeBytes, size(file) + size(`${file}-wal`));
      }
      // Not a terminal here: plain lines only, ending with each phase complete.
      const lines = r.stderr.trimEnd().split('\n');
      assert.ok(lines.every((l) => PLAIN_LINE.test(l)), r.stderr);
      assert.ok(lines.includes(lines.find((l) => l.startsWith('seed: 300/300 keysets (100%)'))!));
      assert.match(lines.at(-1)!, /^seed: 2000\/2000 customers \(100%\)/);
      const [account] = await h.store.db.selectFrom('accounts').selectAll().execute();
      assert.deepEqual([account!.id, account!.name, account!.oem_enabled], [1, 'Default partner', 1]);
      Object.assign(seeded, { runId: out.runId, appId: out.appId });
      assert.equal((await get(`/v2/apps/${out.appId}`)).name, `Seed app ${out.runId}`);
    });

    test('the API pages through them in order, by cursor and streamed; a seeded customer shows its keysets', async () => {
      const rows = await walk(1000);
      assert.equal(rows.length, 2000);
      assert.deepEqual(ok(await call('GET', '/v2/oem/customers')).result, rows, 'the streamed list is the cursor walk');
      rows.forEach((c, i) => {
        assert.match(c.id, UUID);
        assert.deepEqual([c.externalId, c.name, c.updated], [`seed-${seeded.runId}-${String(i + 1).padStart(4, '0')}`, `Seed customer ${i + 1}`, c.created]);
        assert.match(c.created, ISO);
        if (i > 0) assert.ok(c.created > rows[i - 1]!.created, `created not increasing at ${i}`);
        // Round-robin: keyset j went to customer j mod 2000, so the first 300 hold one each.
        assert.deepEqual([c.keysetCount, c.appCount], i < 300 ? [1, 1] : [0, 0], `counts of customer ${i}`);
      });
      assert.ok(rows.at(-1)!.created < new Date().toISOString());
      const detail = (await get(`/v2/oem/customers/${rows[7]!.id}`)).result;
      assert.deepEqual(Object.keys(detail), ['id', 'externalId', 'name', 'created', 'updated', 'keysets']);
      assert.equal(detail.keysets.length, 1);
      assert.equal(detail.keysets[0].assignedAt, detail.created);
      assert.deepEqual((await get(`/v2/oem/keysets/${detail.keysets[0].id}/customer`)).result.id, detail.id);
      assert.deepEqual((await get(`/v2/oem/customers/${rows[1999]!.id}`)).result.keysets, []);
    });

    test('seeded keysets are what keyset create makes: keys, a hashed secret key with its prefix, the default config', async () => {
      const ids = (await h.store.db.selectFrom('keysets').select('id').where('app_id', '=', seeded.appId).orderBy('id').execute()).map((k) => k.id);
      assert.equal(ids.length, 300);
      const made = await call('POST', '/v2/keysets', { keyset: { name: 'API keyset', appId: String(seeded.appId), type: 'testing' } });
      const api = ok(made, 201);
      const keyset = await get(`/v2/keysets/${ids[42]}`);
      assert.deepEqual(Object.keys(keyset).sort(), Object.keys(api.keyset).filter((k) => k !== 'secretKeys').sort());
      assert.match(keyset.publishKey, /^pub-c-[0-9a-f-]{36}$/);
      assert.match(keyset.subscribeKey, /^sub-c-[0-9a-f-]{36}$/);
      assert.deepEqual([keyset.appId, keyset.name, keyset.type], [api.keyset.appId, 'Seed keyset 43', 'testing']);
      assert.deepEqual((await get(`/v2/keysets/${ids[42]}/config`)), api.config);
      const secrets = (await get(`/v2/keysets/${ids[42]}/secret-keys`)).secretKeys;
      assert.equal(secrets.length, 1);
      assert.match(secrets[0].secretKey, /^sec-c-[A-Za-z0-9]{5}$/);
      assert.equal(secrets[0].expiresAt, null);
      const rows = await h.store.db.selectFrom('secret_keys').selectAll().where('keyset_id', 'in', ids).execute();
      assert.equal(rows.length, 300);
      assert.ok(rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash) && /^sec-c-[A-Za-z0-9]{5}$/.test(r.prefix ?? '')));
      assert.equal(new Set(rows.map((r) => r.hash)).size, 300, 'every secret key is its own');
      assert.equal(ok(await call('POST', `/v2/keysets/${ids[42]}/secret-keys`), 201).secretKey.slice(0, 6), 'sec-c-');
    });

    test('the API writes as before: a new customer comes last; a held keyset is refused; a free one is assigned', async () => {
      const created = ok(await call('POST', '/v2/oem/customers', { externalId: 'after-seed', name: 'After' })).result;
      const rows = await walk(700);
      assert.deepEqual([rows.length, rows.at(-1)!.id], [2001, created.id]);
      const held = (await h.store.db.selectFrom('customer_keysets').select('keyset_id').limit(1).executeTakeFirstOrThrow()).keyset_id;
      fails(await call('POST', '/v2/oem/customers', { externalId: 'greedy', name: 'G', keysetIds: [held] }), 400, [`keysetIds: keyset ${held} is already assigned to another customer`]);
      const free = Number(ok(await call('POST', '/v2/keysets', { keyset: { name: 'Free', appId: String(seeded.appId), type: 'production' } }), 201).keyset.id);
      assert.deepEqual(ok(await call('POST', `/v2/oem/customers/${created.id}/keysets`, { keysetIds: [free] })).result.keysets.map((k: { id: number }) => k.id), [free]);
    });

    test('a second run (with --account) adds more without collisions, up to 5 keysets a customer; invariants hold', async () => {
      const r = await seed(['--customers', '100', '--keysets', '500', '--account', '1']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.notEqual(out.runId, seeded.runId);
      assert.notEqual(out.appId, seeded.appId);
      const rows = await walk(1000);
      assert.equal(rows.length, 2101);
      assert.equal(new Set(rows.map((c) => c.externalId)).size, 2101);
      const second = rows.filter((c) => c.externalId.startsWith(`seed-${out.runId}-`));
      assert.equal(second.length, 100);
      assert.ok(second.every((c) => c.keysetCount === 5 && c.appCount === 1));
      const full = second[0]!;
      const extra = Number(ok(await call('POST', '/v2/keysets', { keyset: { name: 'Sixth', appId: String(out.appId), type: 'testing' } }), 201).keyset.id);
      fails(await call('POST', `/v2/oem/customers/${full.id}/keysets`, { keysetIds: [extra] }), 400, /at most 5/);
      const perCustomer = await h.store.db.selectFrom('customer_keysets').select((eb) => ['customer_id', eb.fn.countAll<number>().as('n')]).groupBy('customer_id').execute();
      assert.ok(perCustomer.every((c) => Number(c.n) <= 5));
      const assigned = await h.store.db.selectFrom('customer_keysets').select('keyset_id').execute();
      assert.equal(assigned.length, 300 + 1 + 500);
      assert.equal(new Set(assigned.map((a) => a.keyset_id)).size, assigned.length);
    });

    test('--account naming an unknown or a non-OEM account: exit 1 and a message', async () => {
      const plain = await h.accounts.createAccount({ name: 'Not a partner', oemEnabled: false });
      for (const [id, message] of [['999999', /account 999999 not found/], [String(plain.id), /is not an OEM partner/]] as const) {
        const r = await seed(['--customers', '5', '--account', id]);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, message);
      }
    });

    test('a page deep in the list seeks the (account, created, id) index to its cursor', async () => {
      const last = (await walk(1000)).at(-100)!;
      const q = listSummariesQuery(h.store.db, 1, { after: { created: last.created, id: last.id } }, 101).compile();
      const explain = kind === 'sqlite' ? `explain query plan ${q.sql}` : `explain ${q.sql}`;
      const plan = (await h.store.db.executeQuery({ sql: explain, parameters: q.parameters, query: q.query, queryId: q.queryId })).rows as Record<string, string>[];
      const text = plan.map((r) => r.detail ?? r['QUERY PLAN']).join('\n');
      if (kind === 'sqlite') assert.match(text, /SEARCH c USING INDEX customers_account_created \(account_id=\? AND \(created_at,id\)>\(\?,\?\)\)/, text);
      else assert.match(text, /Index Scan using customers_account_created[\s\S]*Index Cond: \(\(account_id = .*\) AND \(ROW\(created_at, id\) > ROW\(/, text);
    });
  });
}
