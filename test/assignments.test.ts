// Keyset assignment routes (CONTRACT §4 routes 6–10): assign, unassign, the keysets of a customer,
// the customer of a keyset, the applications of a customer; and a deleted keyset leaving its customer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fails, ok } from './helpers/assertions.js';
import { countRows, describeEachStore, type Harness, type TestAccount } from './helpers/harness.js';

const URL = '/v2/oem/customers';
const V3 = '2026-03-01';
const T0 = '2033-03-03T03:03:03.003Z';
const plus = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
type Detail = { id: string; externalId: string; name: string; created: string; updated: string; keysets: { id: number; assignedAt: string }[] };

async function create(h: () => Harness, acc: TestAccount, externalId: string, keysetIds?: number[]): Promise<Detail> {
  const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId, name: 'n', ...(keysetIds ? { keysetIds } : {}) } });
  return ok(r).result;
}

describeEachStore('keyset assignments', (h) => {
  const assign = (acc: TestAccount, id: string, keysetIds: unknown) =>
    h().request({ method: 'POST', url: `${URL}/${id}/keysets`, key: acc.key, body: keysetIds === undefined ? {} : { keysetIds } });
  const unassign = (acc: TestAccount, id: string, keysetId: number | string) =>
    h().request({ method: 'DELETE', url: `${URL}/${id}/keysets/${keysetId}`, key: acc.key });
  const detail = async (acc: TestAccount, id: string): Promise<Detail> => ok(await h().request({ method: 'GET', url: `${URL}/${id}`, key: acc.key })).result;
  const keysetsOf = (acc: TestAccount, query: string) => h().request({ method: 'GET', url: `/v2/oem/keysets${query}`, key: acc.key });
  const holderOf = (acc: TestAccount, keysetId: number | string) => h().request({ method: 'GET', url: `/v2/oem/keysets/${keysetId}/customer`, key: acc.key, version: V3 });
  const appsOf = (acc: TestAccount, id: string, query = '') => h().request({ method: 'GET', url: `${URL}/${id}/applications${query}`, key: acc.key, version: V3 });

  test('assign is additive; a keyset already held keeps its first assignedAt; repeats count once', async () => {
    const acc = await h().account();
    const { keysetIds: [k1, k2, k3] } = await h().keysets(acc, 3);
    h().clock.freeze(T0);
    const c = await create(h, acc, 'additive', [k1!]);
    h().clock.advance(1000);
    const r1 = ok(await assign(acc, c.id, [k2, k2, k2])).result;
    assert.deepEqual(r1.keysets, [{ id: k1, assignedAt: T0 }, { id: k2, assignedAt: plus(1000) }]);
    h().clock.advance(1000);
    const r2 = ok(await assign(acc, c.id, [k3, k1, k3])).result;
    assert.deepEqual(r2.keysets, [{ id: k1, assignedAt: T0 }, { id: k2, assignedAt: plus(1000) }, { id: k3, assignedAt: plus(2000) }]);
    assert.deepEqual(await detail(acc, c.id), r2);
    assert.deepEqual([r2.created, r2.name, r2.externalId], [T0, 'n', 'additive']);
    h().clock.advance(1000);
    assert.deepEqual(ok(await assign(acc, c.id, [k2])).result.keysets, r2.keysets, 'assigning only held keysets changes nothing');
  });

  test('the cap of 5 counts what the customer holds after the request', async () => {
    const acc = await h().account();
    const { keysetIds: k } = await h().keysets(acc, 7);
    const c = await create(h, acc, 'capped', k.slice(0, 3));
    const rows = await countRows(h().store, 'customer_keysets');
    fails(await assign(acc, c.id, k.slice(3, 6)), 400, [`keysetIds: customer ${c.id} would hold 6 keysets; at most 5 are allowed`]);
    assert.equal(await countRows(h().store, 'customer_keysets'), rows, 'nothing written');
    assert.deepEqual((await detail(acc, c.id)).keysets.map((x) => x.id), k.slice(0, 3));
    const five = ok(await assign(acc, c.id, [k[3], k[4], k[0], k[1], k[2]])).result;
    assert.deepEqual(five.keysets.map((x: { id: number }) => x.id), k.slice(0, 5));
    fails(await assign(acc, c.id, [k[5]]), 400, [`keysetIds: customer ${c.id} would hold 6 keysets; at most 5 are allowed`]);
    assert.equal(ok(await assign(acc, c.id, k.slice(0, 5))).result.keysets.length, 5, 'all held: still fine');
    const empty = await create(h, acc, 'empty');
    fails(await assign(acc, empty.id, k.slice(0, 6)), 400, /would hold 6 keysets/);
    // k[5] and k[6] are still free: the refused requests claimed nothing.
    assert.deepEqual(ok(await assign(acc, empty.id, [k[5], k[6], k[6]])).result.keysets.map((x: { id: number }) => x.id), [k[5], k[6]]);
  });

  test('unknown, another account\'s and another customer\'s keysets are refused by id; nothing is written', async () => {
    const acc = await h().account();
    const other = await h().account();
    const { keysetIds: [mine, held, free] } = await h().keysets(acc, 3);
    const { keysetIds: [theirs] } = await h().keysets(other, 1);
    await create(h, acc, 'holder', [held!]);
    const c = await create(h, acc, 'claimer');
    fails(await assign(acc, c.id, [999999999]), 400, ['keysetIds: keyset 999999999 not found']);
    fails(await assign(acc, c.id, [theirs]), 400, [`keysetIds: keyset ${theirs} not found`]);
    fails(await assign(acc, c.id, [held]), 400, [`keysetIds: keyset ${held} is already assigned to another customer`]);
    fails(await assign(acc, c.id, [mine, held, theirs]), 400, [
      `keysetIds: keyset ${held} is already assigned to another customer`, `keysetIds: keyset ${theirs} not found`,
    ], true);
    assert.deepEqual((await detail(acc, c.id)).keysets, []);
    assert.deepEqual(ok(await assign(acc, c.id, [mine, free])).result.keysets.map((x: { id: number }) => x.id), [mine, free]);
  });

  test('the body: keysetIds required, non-empty, positive integers, nothing else', async () => {
    const acc = await h().account();
    const c = await create(h, acc, 'bodies');
    fails(await assign(acc, c.id, undefined), 400, ['keysetIds is required']);
    fails(await assign(acc, c.id, []), 400, ['keysetIds must contain at least 1 item']);
    fails(await assign(acc, c.id, '1'), 400, ['keysetIds must be an array']);
    fails(await assign(acc, c.id, [0]), 400, ['keysetIds[0] must be at least 1']);
    fails(await assign(acc, c.id, ['7']), 400, ['keysetIds[0] must be an integer']);
    const extra = await h().request({ method: 'POST', url: `${URL}/${c.id}/keysets`, key: acc.key, body: { keysetIds: [1], name: 'x' } });
    fails(extra, 400, ['property name should not exist']);
  });

  test('assigning to an unknown or another account\'s customer is a 404', async () => {
    const acc = await h().account();
    const other = await h().account();
    const { keysetIds } = await h().keysets(acc, 1);
    const theirs = await create(h, other, 'theirs');
    fails(await assign(acc, 'nobody', keysetIds), 404, ['customer nobody not found']);
    fails(await assign(acc, theirs.id, keysetIds), 404, [`customer ${theirs.id} not found`]);
    assert.deepEqual((await detail(other, theirs.id)).keysets, []);
  });

  test('unassign answers the detail without that keyset; the keyset can then go elsewhere', async () => {
    const acc = await h().account();
    const other = await h().account();
    const { keysetIds: [k1, k2, k3] } = await h().keysets(acc, 3);
    h().clock.freeze(T0);
    const c = await create(h, acc, 'unassign', [k1!, k2!]);
    const d = await create(h, acc, 'neighbour', [k3!]);
    const r = await unassign(acc, c.id, k1!);
    assert.deepEqual(ok(r).result, { ...c, keysets: c.keysets.filter((x) => x.id !== k1) });
    assert.equal(r.headers.etag, (await h().request({ method: 'GET', url: `${URL}/${c.id}`, key: acc.key })).headers.etag);
    fails(await unassign(acc, c.id, k1!), 404, [`customer ${c.id} does not hold keyset ${k1}`]);
    fails(await unassign(acc, c.id, k3!), 404, [`customer ${c.id} does not hold keyset ${k3}`]);
    assert.deepEqual((await detail(acc, d.id)).keysets.map((x) => x.id), [k3], 'another customer keeps its keyset');
    fails(await unassign(acc, c.id, 999999999), 404, [`customer ${c.id} does not hold keyset 999999999`]);
    fails(await unassign(acc, 'nobody', k2!), 404, ['customer nobody not found']);
    fails(await unassign(other, c.id, k2!), 404, [`customer ${c.id} not found`]);
    fails(await unassign(acc, c.id, 'abc'), 400, /^keysetId must match pattern /);
    h().clock.advance(1000);
    assert.deepEqual(ok(await assign(acc, d.id, [k1])).result.keysets, [{ id: k3, assignedAt: T0 }, { id: k1, assignedAt: plus(1000) }]);
  });

  test('GET /v2/oem/keysets: a customer\'s keysets ordered by assignedAt then id, optionally of one app', async () => {
    const acc = await h().account();
    const other = await h().account();
    const a = await h().keysets(acc, 3);
    const b = await h().keysets(acc, 1);
    h().clock.freeze(T0);
    const c = await create(h, acc, 'keysets-of', [a.keysetIds[2]!]);
    h().clock.advance(500);
    ok(await assign(acc, c.id, [a.keysetIds[1], b.keysetIds[0], a.keysetIds[0]]));
    const all = ok(await keysetsOf(acc, `?customerId=${c.id}`));
    assert.deepEqual(all, { result: [
      { id: a.keysetIds[2], assignedAt: T0 },
      ...[a.keysetIds[0]!, a.keysetIds[1]!, b.keysetIds[0]!].sort((x, y) => x - y).map((id) => ({ id, assignedAt: plus(500) })),
    ] });
    assert.deepEqual(all.result, (await detail(acc, c.id)).keysets);
    assert.deepEqual(ok(await keysetsOf(acc, `?customerId=${c.id}&appId=${b.appId}`)).result, [{ id: b.keysetIds[0], assignedAt: plus(500) }]);
    assert.deepEqual(ok(await keysetsOf(acc, `?customerId=${c.id}&appId=${a.appId}`)).result.map((x: { id: number }) => x.id), [a.keysetIds[2], a.keysetIds[0], a.keysetIds[1]]);
    assert.deepEqual(ok(await keysetsOf(acc, `?customerId=${c.id}&appId=999999999`)).result, []);
    const empty = await create(h, acc, 'holds-none');
    assert.deepEqual(ok(await keysetsOf(acc, `?customerId=${empty.id}`)), { result: [] });
    fails(await keysetsOf(acc, ''), 400, ['customerId is required']);
    fails(await keysetsOf(acc, `?appId=${a.appId}`), 400, ['customerId is required']);
    fails(await keysetsOf(acc, `?customerId=${c.id}&appId=x`), 400, /^appId must match pattern /);
    fails(await keysetsOf(acc, `?customerId=${c.id}&limit=1`), 400, ['property limit should not exist']);
    fails(await keysetsOf(acc, '?customerId=nobody'), 404, ['customer nobody not found']);
    fails(await keysetsOf(other, `?customerId=${c.id}`), 404, [`customer ${c.id} not found`]);
  });

  test('GET /v2/oem/keysets/:keysetId/customer: exactly {id, externalId, name, created, updated}, else 404', async () => {
    const acc = await h().account();
    const other = await h().account();
    const { keysetIds: [held, free] } = await h().keysets(acc, 2);
    const { keysetIds: [theirs] } = await h().keysets(other, 1);
    h().clock.freeze(T0);
    const c = await create(h, acc, 'holder', [held!]);
    await create(h, other, 'their-holder', [theirs!]);
    assert.deepEqual(ok(await holderOf(acc, held!)), { result: { id: c.id, externalId: 'holder', name: 'n', created: T0, updated: T0 } });
    for (const id of [free!, theirs!, 999999999]) fails(await holderOf(acc, id), 404, [`keyset ${id} not found or held by no customer`]);
    fails(await holderOf(acc, 'abc'), 400, /^keysetId must match pattern /);
    ok(await unassign(acc, c.id, held!));
    fails(await holderOf(acc, held!), 404, [`keyset ${held} not found or held by no customer`]);
  });

  test('applications: one entry per app, ordered by id, numbers on the wire, paged by page and pageSize', async () => {
    const acc = await h().account();
    const other = await h().account();
    const apps = [await h().keysets(acc, 2), await h().keysets(acc, 1), await h().keysets(acc, 1), await h().keysets(acc, 1), await h().keysets(acc, 1)];
    await h().keysets(acc, 1); // an app the customer holds nothing in
    const c = await create(h, acc, 'apps', [apps[4]!.keysetIds[0]!, ...apps[0]!.keysetIds, apps[2]!.keysetIds[0]!, apps[3]!.keysetIds[0]!]);
    const expected = [apps[0]!, apps[2]!, apps[3]!, apps[4]!].map((a) => ({ id: a.appId, accountId: acc.accountId }));
    const all = ok(await appsOf(acc, c.id));
    assert.deepEqual(all, { result: expected });
    for (const x of all.result) assert.deepEqual([typeof x.id, typeof x.accountId], ['number', 'number']);
    assert.deepEqual(ok(await appsOf(acc, c.id, '?page=1&pageSize=100')).result, expected);
    assert.deepEqual(ok(await appsOf(acc, c.id, '?pageSize=3')).result, expected.slice(0, 3));
    const paged = [];
    for (let page = 1; page <= 3; page++) paged.push(ok(await appsOf(acc, c.id, `?page=${page}&pageSize=2`)).result);
    assert.deepEqual(paged, [expected.slice(0, 2), expected.slice(2, 4), []]);
    assert.deepEqual(ok(await appsOf(acc, c.id, '?page=2')).result, []);
    assert.deepEqual(ok(await appsOf(acc, c.id, '?page=1000000000&pageSize=100')).result, []);
    assert.deepEqual(ok(await appsOf(acc, (await create(h, acc, 'no-apps')).id)), { result: [] });
    const cases: [string, string[]][] = [
      ['?page=0', ['page must be at least 1']], ['?page=x', ['page must be an integer']],
      ['?pageSize=0', ['pageSize must be at least 1']], ['?pageSize=101', ['pageSize must be at most 100']],
      ['?pageSize=x', ['pageSize must be an integer']], ['?page=1.5', ['page must be an integer']],
      ['?limit=2', ['property limit should not exist']],
    ];
    for (const [q, message] of cases) fails(await appsOf(acc, c.id, q), 400, message);
    fails(await appsOf(acc, 'nobody'), 404, ['customer nobody not found']);
    fails(await appsOf(other, c.id), 404, [`customer ${c.id} not found`]);
  });

  test('page and pageSize are decimal strings: hex, exponent and space-padded forms are refused', async () => {
    const acc = await h().account();
    const c = await create(h, acc, 'not-decimal');
    for (const q of ['page=0x2', 'page=1e0', 'page=%201', 'pageSize=0x2', 'pageSize=1e1', 'pageSize=2%20']) {
      fails(await appsOf(acc, c.id, `?${q}`), 400, /^page(Size)? /);
    }
  });

  test('deleting a keyset removes it from its customer', async () => {
    const acc = await h().account();
    const { keysetIds: [k1, k2] } = await h().keysets(acc, 2);
    const c = await create(h, acc, 'loses-one', [k1!, k2!]);
    const before = await h().request({ method: 'GET', url: `${URL}/${c.id}`, key: acc.key });
    assert.deepEqual(ok(await h().request({ method: 'DELETE', url: `/v2/keysets/${k1}`, key: acc.key })), { success: true });
    const after = await h().request({ method: 'GET', url: `${URL}/${c.id}`, key: acc.key });
    assert.deepEqual(ok(after).result.keysets.map((x: { id: number }) => x.id), [k2]);
    assert.notEqual(after.headers.etag, before.headers.etag);
    assert.deepEqual(ok(await keysetsOf(acc, `?customerId=${c.id}`)).result.map((x: { id: number }) => x.id), [k2]);
    fails(await holderOf(acc, k1!), 404, [`keyset ${k1} not found or held by no customer`]);
    const summary = ok(await h().request({ method: 'GET', url: `${URL}?externalId=loses-one`, key: acc.key })).result[0];
    assert.deepEqual([summary.keysetCount, summary.appCount], [1, 1]);
    ok(await h().request({ method: 'DELETE', url: `/v2/keysets/${k2}`, key: acc.key }));
    assert.deepEqual(ok(await appsOf(acc, c.id)).result, []);
    assert.deepEqual((await detail(acc, c.id)).keysets, [], 'the customer stays, with no keysets');
  });
});
