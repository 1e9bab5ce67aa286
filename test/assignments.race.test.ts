// Assign under concurrency (CONTRACT §3): a customer never holds more than 5 keysets and a keyset
// never has two holders, with simultaneous requests in one process and across two server processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ok } from './helpers/assertions.js';
import { describeEachStore, STORE_KINDS, type StoreHandle } from './helpers/harness.js';
import { describeServerPair, type ServerPair } from './helpers/process.js';
import { scaled } from './helpers/scale.js';

const URL = '/v2/oem/customers';
const ROUNDS = scaled(10);

function tally(statuses: number[]): Record<number, number> {
  return statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
}

const capMessage = (id: string) => `keysetIds: customer ${id} would hold 6 keysets; at most 5 are allowed`;
const heldMessage = (id: number) => `keysetIds: keyset ${id} is already assigned to another customer`;

async function heldBy(handle: StoreHandle, customerId: string): Promise<number[]> {
  const rows = await handle.store.db.selectFrom('customer_keysets').select('keyset_id').where('customer_id', '=', customerId).orderBy('keyset_id').execute();
  return rows.map((r) => Number(r.keyset_id));
}

describeEachStore('concurrent assigns in one process', (h) => {
  const create = async (key: string, externalId: string) =>
    ok(await h().request({ method: 'POST', url: URL, key, body: { externalId, name: 'n' } })).result.id as string;
  const assign = (key: string, id: string, keysetIds: number[]) => h().request({ method: 'POST', url: `${URL}/${id}/keysets`, key, body: { keysetIds } });

  test(`two simultaneous assigns of three keysets to an empty customer: one 200, one 400, three held (${ROUNDS} rounds)`, async () => {
    const acc = await h().account();
    for (let round = 0; round < ROUNDS; round++) {
      const { keysetIds } = await h().keysets(acc, 6);
      const sets = [keysetIds.slice(0, 3), keysetIds.slice(3)];
      const id = await create(acc.key, `pair-${round}`);
      const responses = await Promise.all(sets.map((s) => assign(acc.key, id, s)));
      assert.deepEqual(tally(responses.map((r) => r.statusCode)), { 200: 1, 400: 1 }, `round ${round}`);
      const winner = responses.findIndex((r) => r.statusCode === 200);
      assert.deepEqual(responses[1 - winner]!.json().message, [capMessage(id)]);
      assert.deepEqual(await heldBy(h().handle, id), sets[winner]);
      assert.deepEqual(responses[winner]!.json().result.keysets.map((k: { id: number }) => k.id), sets[winner]);
    }
  });

  test('five simultaneous assigns of two keysets each to an empty customer: exactly two succeed', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 10);
    const id = await create(acc.key, 'five-ways');
    const sets = [0, 2, 4, 6, 8].map((i) => keysetIds.slice(i, i + 2));
    const responses = await Promise.all(sets.map((s) => assign(acc.key, id, s)));
    assert.deepEqual(tally(responses.map((r) => r.statusCode)), { 200: 2, 400: 3 });
    const held = await heldBy(h().handle, id);
    assert.equal(held.length, 4);
    const won = sets.filter((_, i) => responses[i]!.statusCode === 200).flat().sort((a, b) => a - b);
    assert.deepEqual(held, won);
  });

  test('ten simultaneous assigns of one keyset to ten customers: exactly one 200, one holder', async () => {
    const acc = await h().account();
    for (let round = 0; round < 3; round++) {
      const { keysetIds: [k] } = await h().keysets(acc, 1);
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push(await create(acc.key, `one-${round}-${i}`));
      const responses = await Promise.all(ids.map((id) => assign(acc.key, id, [k!])));
      assert.deepEqual(tally(responses.map((r) => r.statusCode)), { 200: 1, 400: 9 });
      for (const r of responses.filter((x) => x.statusCode === 400)) assert.deepEqual(r.json().message, [heldMessage(k!)]);
      const holders = await h().store.db.selectFrom('customer_keysets').select('customer_id').where('keyset_id', '=', k!).execute();
      assert.deepEqual(holders.map((x) => x.customer_id), [ids[responses.findIndex((r) => r.statusCode === 200)]]);
    }
  });

  test('ten simultaneous renames with one If-Match: exactly one wins, nine 412', async () => {
    const acc = await h().account();
    const id = await create(acc.key, 'if-match-race');
    const etag = (await h().request({ method: 'GET', url: `${URL}/${id}`, key: acc.key })).headers.etag as string;
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      h().request({ method: i % 2 ? 'PUT' : 'PATCH', url: `${URL}/${id}`, key: acc.key, body: { name: `writer ${i}` }, headers: { 'if-match': etag } })));
    assert.deepEqual(tally(responses.map((r) => r.statusCode)), { 200: 1, 412: 9 });
    const winner = responses.find((r) => r.statusCode === 200)!;
    const now = await h().request({ method: 'GET', url: `${URL}/${id}`, key: acc.key });
    assert.equal(now.json().result.name, winner.json().result.name);
    assert.equal(now.headers.etag, winner.headers.etag);
  });

  test('an assign racing a create that claims the same keyset: one holder', async () => {
    const acc = await h().account();
    const { keysetIds: [k] } = await h().keysets(acc, 1);
    const id = await create(acc.key, 'racer');
    const [a, c] = await Promise.all([
      assign(acc.key, id, [k!]),
      h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'creator', name: 'n', keysetIds: [k] } }),
    ]);
    assert.deepEqual([a.statusCode, c.statusCode].sort(), [200, 400]);
    const holders = await h().store.db.selectFrom('customer_keysets').select('customer_id').where('keyset_id', '=', k!).execute();
    assert.equal(holders.length, 1);
  });
});

// Two server processes on one store: only the store's locks and constraints can keep the invariants.
for (const kind of STORE_KINDS) {
  describeServerPair('concurrent assigns across two server processes', kind, (pair) => {
    const call: ServerPair['call'] = (...args) => pair().call(...args);

    async function keysets(n: number): Promise<number[]> {
      const app = await call(0, 'POST', '/v2/apps', { name: 'a' });
      assert.equal(app.status, 201);
      const ids: number[] = [];
      for (let i = 0; i < n; i++) {
        const ks = await call(i, 'POST', '/v2/keysets', { keyset: { name: `k${i}`, appId: app.body.id, type: 'testing' } });
        assert.equal(ks.status, 201);
        ids.push(Number(ks.body.keyset.id));
      }
      return ids;
    }
    const create = async (i: number, externalId: string) => {
      const r = await call(i, 'POST', URL, { externalId, name: 'n' });
      assert.equal(r.status, 200);
      return r.body.result.id as string;
    };

    test(`two assigns of three keysets, one on each process, to an empty customer: one wins (${ROUNDS} rounds)`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const k = await keysets(6);
        const sets = [k.slice(0, 3), k.slice(3)];
        const id = await create(round, `pair-${round}`);
        const results = await Promise.all(sets.map((s, i) => call(i, 'POST', `${URL}/${id}/keysets`, { keysetIds: s })));
        assert.deepEqual(tally(results.map((r) => r.status)), { 200: 1, 400: 1 }, `round ${round}`);
        const winner = results.findIndex((r) => r.status === 200);
        assert.deepEqual(results[1 - winner]!.body.message, [capMessage(id)]);
        assert.deepEqual(await heldBy(pair().handle, id), sets[winner]);
      }
    });

    test('ten assigns of one keyset to ten customers, spread over both: exactly one 200', async () => {
      const [k] = await keysets(1);
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push(await create(i, `one-${i}`));
      const results = await Promise.all(ids.map((id, i) => call(i, 'POST', `${URL}/${id}/keysets`, { keysetIds: [k] })));
      assert.deepEqual(tally(results.map((r) => r.status)), { 200: 1, 400: 9 });
      for (const r of results.filter((x) => x.status === 400)) assert.deepEqual(r.body.message, [heldMessage(k!)]);
      const holders = await pair().handle.store.db.selectFrom('customer_keysets').select('customer_id').where('keyset_id', '=', k!).execute();
      assert.deepEqual(holders.map((x) => x.customer_id), [ids[results.findIndex((r) => r.status === 200)]]);
    });
  });
}
