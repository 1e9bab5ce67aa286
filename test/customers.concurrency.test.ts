// The invariants of CONTRACT §3 under concurrency, enforced by the store itself: within one
// process (PostgreSQL's pool runs requests truly in parallel) and across server processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countRows, describeEachStore, STORE_KINDS } from './helpers/harness.js';
import { describeServerPair } from './helpers/process.js';
import { scaled } from './helpers/scale.js';

const URL = '/v2/oem/customers';
/** Simultaneous creates of one externalId (× TEST_SCALE). */
const N = scaled(50);

function tally(statuses: number[]): Record<number, number> {
  return statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
}

describeEachStore('concurrent creates in one process', (h) => {
  test(`${N} simultaneous creates of one externalId → exactly one 200, ${N - 1} × 400`, async () => {
    const acc = await h().account();
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) => h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'same', name: `n${i}` } })),
    );
    assert.deepEqual(tally(responses.map((r) => r.statusCode)), { 200: 1, 400: N - 1 });
    for (const r of responses.filter((x) => x.statusCode === 400)) {
      assert.deepEqual(r.json().message, ['externalId same is already used by another customer']);
    }
    const rows = await h().store.db.selectFrom('customers').select('id').where('account_id', '=', acc.accountId).execute();
    assert.equal(rows.length, 1);
  });

  test('20 simultaneous creates claiming one keyset → exactly one 200, and one holder', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 2);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: `c${i}`, name: 'n', keysetIds } })),
    );
    assert.deepEqual(tally(responses.map((r) => r.statusCode)), { 200: 1, 400: 19 });
    for (const r of responses.filter((x) => x.statusCode === 400)) {
      assert.match(r.json().message[0], /^keysetIds: keyset \d+ is already assigned to another customer$/);
    }
    const holders = await h().store.db.selectFrom('customer_keysets').selectAll().where('keyset_id', 'in', keysetIds).execute();
    assert.equal(holders.length, 2);
    assert.equal(new Set(holders.map((r) => r.customer_id)).size, 1);
    // The losers wrote nothing: one customer in the account.
    const customers = await h().store.db.selectFrom('customers').select('id').where('account_id', '=', acc.accountId).execute();
    assert.equal(customers.length, 1);
  });

  test('creates claiming the same keysets in different orders never deadlock into a 500', async () => {
    const acc = await h().account();
    for (let round = 0; round < 10; round++) {
      const { keysetIds } = await h().keysets(acc, 5);
      const orders = Array.from({ length: 8 }, (_, i) => (i % 2 ? [...keysetIds].reverse() : [...keysetIds.slice(i % 5), ...keysetIds.slice(0, i % 5)]));
      const responses = await Promise.all(orders.map((ids, i) =>
        h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: `order-${round}-${i}`, name: 'n', keysetIds: ids } })));
      assert.deepEqual(tally(responses.map((r) => r.statusCode)), { 200: 1, 400: 7 }, `round ${round}`);
    }
  });

  test('the store itself refuses a duplicate externalId and a second holder (not only the service)', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 1);
    const now = new Date().toISOString();
    const row = (id: string) => ({ id, account_id: acc.accountId, external_id: 'raw', name: 'n', created_at: now, updated_at: now });
    await h().store.db.insertInto('customers').values(row('raw-1')).execute();
    await assert.rejects(h().store.db.insertInto('customers').values(row('raw-2')).execute());
    await h().store.db.insertInto('customers').values({ ...row('raw-3'), external_id: 'raw-b' }).execute();
    await h().store.db.insertInto('customer_keysets').values({ keyset_id: keysetIds[0]!, customer_id: 'raw-1', assigned_at: now }).execute();
    await assert.rejects(h().store.db.insertInto('customer_keysets').values({ keyset_id: keysetIds[0]!, customer_id: 'raw-3', assigned_at: now }).execute());
  });
});

// Two server processes on one store: an in-process check could not see the other process's
// requests, so only the store's constraints and locks can keep the invariants.
for (const kind of STORE_KINDS) {
  describeServerPair('concurrent creates across two server processes', kind, (pair) => {
    const post = (i: number, body: unknown) => pair().call(i, 'POST', URL, body);

    test('50 creates of one externalId spread over both → exactly one 200', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => post(i, { externalId: 'shared', name: `n${i}` })));
      assert.deepEqual(tally(results.map((r) => r.status)), { 200: 1, 400: 49 });
      const n = await pair().handle.store.db.selectFrom('customers').select('id').where('external_id', '=', 'shared').execute();
      assert.equal(n.length, 1);
    });

    test('20 creates claiming one keyset spread over both → exactly one 200', async () => {
      const app = (await pair().call(0, 'POST', '/v2/apps', { name: 'a' })).body;
      const ks = (await pair().call(1, 'POST', '/v2/keysets', { keyset: { name: 'k', appId: app.id, type: 'testing' } })).body;
      const keysetId = Number(ks.keyset.id);
      const before = await countRows(pair().handle.store, 'customers');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i, { externalId: `claim${i}`, name: 'n', keysetIds: [keysetId] })));
      assert.deepEqual(tally(results.map((r) => r.status)), { 200: 1, 400: 19 });
      const holders = await pair().handle.store.db.selectFrom('customer_keysets').selectAll().where('keyset_id', '=', keysetId).execute();
      assert.equal(holders.length, 1);
      assert.equal(await countRows(pair().handle.store, 'customers'), before + 1);
    });
  });
}
