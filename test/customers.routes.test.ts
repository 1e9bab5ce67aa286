// GET, PUT/PATCH and DELETE /v2/oem/customers/:customerId (CONTRACT §4.3–4.5) with ETag/If-Match,
// and for every route of §4 2–10: permissions and version gating.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fails, ISO, ok } from './helpers/assertions.js';
import { countRows, describeEachStore, type Harness, type TestAccount } from './helpers/harness.js';

const URL = '/v2/oem/customers';
const V3 = '2026-03-01';
const T0 = '2032-05-06T07:08:09.010Z';
const plus = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

async function create(h: () => Harness, acc: TestAccount, externalId: string, keysetIds?: number[]) {
  const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId, name: 'Original', ...(keysetIds ? { keysetIds } : {}) } });
  return ok(r).result as { id: string; externalId: string; name: string; created: string; updated: string; keysets: { id: number; assignedAt: string }[] };
}

describeEachStore('get, update and delete a customer', (h) => {
  const get = (acc: TestAccount, id: string) => h().request({ method: 'GET', url: `${URL}/${id}`, key: acc.key });
  const update = (method: 'PUT' | 'PATCH', acc: TestAccount, id: string, body: unknown, ifMatch?: string) =>
    h().request({ method, url: `${URL}/${id}`, key: acc.key, body, headers: ifMatch === undefined ? {} : { 'if-match': ifMatch } });
  const del = (acc: TestAccount, id: string, ifMatch?: string) =>
    h().request({ method: 'DELETE', url: `${URL}/${id}`, key: acc.key, version: V3, headers: ifMatch === undefined ? {} : { 'if-match': ifMatch } });

  test('GET answers the detail with an ETag; keysets ordered by assignedAt then id', async () => {
    const acc = await h().account();
    const { keysetIds: [k1, k2, k3] } = await h().keysets(acc, 3);
    h().clock.freeze(T0);
    const c = await create(h, acc, 'get-me', [k3!]);
    h().clock.advance(1000);
    ok(await h().request({ method: 'POST', url: `${URL}/${c.id}/keysets`, key: acc.key, body: { keysetIds: [k2, k1] } }));
    const r = await get(acc, c.id);
    const body = ok(r);
    assert.match(String(r.headers.etag), /^"[^"]+"$/);
    assert.deepEqual(body, { result: {
      id: c.id, externalId: 'get-me', name: 'Original', created: T0, updated: T0,
      keysets: [{ id: k3, assignedAt: T0 }, { id: k1, assignedAt: plus(1000) }, { id: k2, assignedAt: plus(1000) }],
    } });
    assert.equal((await get(acc, c.id)).headers.etag, r.headers.etag, 'stable while nothing changes');
  });

  test('create answers exactly what a GET right after it answers, body and ETag, with and without keysets', async () => {
    const acc = await h().account();
    const { keysetIds: [k1, k2, k3] } = await h().keysets(acc, 3);
    for (const [externalId, keysetIds] of [['bare', undefined], ['with-keysets', [k3!, k1!, k2!]]] as const) {
      const created = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId, name: 'Same', ...(keysetIds ? { keysetIds } : {}) } });
      const id = ok(created).result.id as string;
      const read = await get(acc, id);
      assert.deepEqual(ok(read), ok(created), externalId);
      assert.equal(read.headers.etag, created.headers.etag, externalId);
    }
  });

  test('an unknown id and another account\'s id are the same 404', async () => {
    const acc = await h().account();
    const other = await h().account();
    const theirs = await create(h, other, 'theirs');
    fails(await get(acc, theirs.id), 404, [`customer ${theirs.id} not found`]);
    fails(await get(acc, 'no-such-customer'), 404, ['customer no-such-customer not found']);
    fails(await get(acc, '00000000-0000-0000-0000-000000000000'), 404, ['customer 00000000-0000-0000-0000-000000000000 not found']);
    for (const method of ['PUT', 'PATCH'] as const) fails(await update(method, acc, theirs.id, { name: 'x' }), 404, [`customer ${theirs.id} not found`]);
    fails(await del(acc, theirs.id), 404, [`customer ${theirs.id} not found`]);
    assert.equal(ok(await get(other, theirs.id)).result.name, 'Original', 'untouched');
  });

  test('PUT and PATCH rename; updated moves, created does not; the new ETag is what GET returns', async () => {
    const acc = await h().account();
    h().clock.freeze(T0);
    const c = await create(h, acc, 'rename-me');
    const etag0 = (await get(acc, c.id)).headers.etag;
    let step = 0;
    for (const method of ['PUT', 'PATCH'] as const) {
      h().clock.advance(60_000);
      step += 60_000;
      const r = await update(method, acc, c.id, { name: `Renamed by ${method}` });
      const { result } = ok(r);
      assert.deepEqual(result, { id: c.id, externalId: 'rename-me', name: `Renamed by ${method}`, created: T0, updated: plus(step), keysets: [] });
      const after = await get(acc, c.id);
      assert.deepEqual(after.json().result, result);
      assert.match(String(r.headers.etag), /^"[^"]+"$/);
      assert.equal(r.headers.etag, after.headers.etag);
      assert.notEqual(r.headers.etag, etag0);
    }
  });

  test('name follows the create rules', async () => {
    const acc = await h().account();
    const c = await create(h, acc, 'names');
    for (const name of ['😀'.repeat(255), 'a'.repeat(255), '  spaced  ', '日本語']) {
      assert.equal(ok(await update('PUT', acc, c.id, { name })).result.name, name);
    }
    const cases: [unknown, string][] = [
      ['', 'name must be at least 1 character long'],
      ['a'.repeat(256), 'name must be at most 255 characters long'],
      ['😀'.repeat(256), 'name must be at most 255 characters long'],
      [7, 'name must be a string'],
      [null, 'name must be a string'],
    ];
    for (const [name, message] of cases) fails(await update('PATCH', acc, c.id, { name }), 400, [message]);
    fails(await update('PUT', acc, c.id, {}), 400, ['name is required']);
    for (const raw of ['"a\\u0000b"', '"\\ud800"']) {
      const r = await h().request({ method: 'PUT', url: `${URL}/${c.id}`, key: acc.key, payload: `{"name":${raw}}`, headers: { 'content-type': 'application/json' } });
      fails(r, 400, ['name must not contain NUL characters or unpaired UTF-16 surrogates']);
    }
    assert.equal(ok(await get(acc, c.id)).result.name, '日本語', 'no refused rename was written');
  });

  test('externalId in the body is refused, even unchanged; so is an unknown property', async () => {
    const acc = await h().account();
    h().clock.freeze(T0);
    const c = await create(h, acc, 'fixed');
    h().clock.advance(1000);
    for (const method of ['PUT', 'PATCH'] as const) {
      for (const externalId of ['fixed', 'other', null]) {
        fails(await update(method, acc, c.id, { name: 'x', externalId }), 400, ['externalId cannot be changed']);
      }
      fails(await update(method, acc, c.id, { name: 'x', extra: 1 }), 400, ['property extra should not exist']);
      fails(await update(method, acc, c.id, { name: 'x', keysetIds: [] }), 400, ['property keysetIds should not exist']);
    }
    assert.deepEqual(ok(await get(acc, c.id)).result, { ...c, updated: T0 });
  });

  test('every problem of an update body is listed', async () => {
    const acc = await h().account();
    const c = await create(h, acc, 'all-problems');
    fails(await update('PUT', acc, c.id, { externalId: 'new' }), 400, ['name is required', 'externalId cannot be changed'], true);
  });

  test('If-Match: current → 200, stale / garbage / weak → 412 and nothing changed, * → 200', async () => {
    const acc = await h().account();
    h().clock.freeze(T0);
    const c = await create(h, acc, 'guarded');
    const stale = (await get(acc, c.id)).headers.etag as string;
    h().clock.advance(1000);
    const r1 = await update('PUT', acc, c.id, { name: 'First' }, stale);
    ok(r1);
    const current = r1.headers.etag as string;
    const snapshot = ok(await get(acc, c.id)).result;
    h().clock.advance(1000);
    for (const [method, tag] of [['PUT', stale], ['PATCH', stale], ['PUT', '"garbage"'], ['PATCH', 'garbage'], ['PUT', `W/${current}`], ['PATCH', '""']] as const) {
      const r = await update(method, acc, c.id, { name: 'Lost' }, tag);
      fails(r, 412, [`If-Match does not match the current ETag of customer ${c.id}`]);
    }
    assert.deepEqual(ok(await get(acc, c.id)).result, snapshot);
    assert.equal((await get(acc, c.id)).headers.etag, current);
    const r2 = await update('PATCH', acc, c.id, { name: 'Second' }, current);
    assert.equal(ok(r2).result.name, 'Second');
    const r3 = await update('PUT', acc, c.id, { name: 'Third' }, `"nope", ${r2.headers.etag}`);
    assert.equal(ok(r3).result.name, 'Third', 'a list matches when one entry does');
    assert.equal(ok(await update('PATCH', acc, c.id, { name: 'Any' }, '*')).result.name, 'Any');
  });

  test('the ETag changes when the customer\'s keysets do', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 1);
    const c = await create(h, acc, 'keyset-etag');
    const before = (await get(acc, c.id)).headers.etag as string;
    const assigned = await h().request({ method: 'POST', url: `${URL}/${c.id}/keysets`, key: acc.key, body: { keysetIds } });
    ok(assigned);
    assert.notEqual(assigned.headers.etag, before);
    assert.equal(assigned.headers.etag, (await get(acc, c.id)).headers.etag);
    fails(await update('PUT', acc, c.id, { name: 'x' }, before), 412, /If-Match/);
    fails(await del(acc, c.id, before), 412, /If-Match/);
  });

  test('DELETE is a 2026-03-01 route; it answers {success:true}, then 404', async () => {
    const acc = await h().account();
    const c = await create(h, acc, 'gone');
    const early = await h().request({ method: 'DELETE', url: `${URL}/${c.id}`, key: acc.key });
    fails(early, 400, [`DELETE /v2/oem/customers/:customerId was introduced in PubNub-Version ${V3}; the request asked for 2026-02-09`]);
    ok(await get(acc, c.id));
    const r = await del(acc, c.id);
    assert.deepEqual(ok(r), { success: true });
    assert.equal(r.headers['pubnub-version'], V3);
    fails(await del(acc, c.id), 404, [`customer ${c.id} not found`]);
    fails(await get(acc, c.id), 404, [`customer ${c.id} not found`]);
  });

  test('after a delete the keysets stay, can be assigned again, and the externalId is free', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 2);
    const c = await create(h, acc, 'reuse-me', keysetIds);
    const assignments = await countRows(h().store, 'customer_keysets');
    ok(await del(acc, c.id));
    assert.equal(await countRows(h().store, 'customer_keysets'), assignments - 2);
    for (const id of keysetIds) assert.equal(ok(await h().request({ method: 'GET', url: `/v2/keysets/${id}`, key: acc.key })).id, String(id));
    const again = await create(h, acc, 'reuse-me');
    assert.notEqual(again.id, c.id);
    const other = await create(h, acc, 'taker', [keysetIds[0]!]);
    const assign = await h().request({ method: 'POST', url: `${URL}/${again.id}/keysets`, key: acc.key, body: { keysetIds: [keysetIds[1]] } });
    assert.deepEqual(ok(assign).result.keysets.map((k: { id: number }) => k.id), [keysetIds[1]]);
    assert.deepEqual(other.keysets.map((k) => k.id), [keysetIds[0]]);
  });

  test('DELETE with If-Match: stale → 412 and nothing deleted; current → 200', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 1);
    const c = await create(h, acc, 'guarded-delete', keysetIds);
    const first = (await get(acc, c.id)).headers.etag as string;
    const renamed = await update('PATCH', acc, c.id, { name: 'Changed' });
    for (const tag of [first, 'W/' + renamed.headers.etag, 'junk']) {
      fails(await del(acc, c.id, tag), 412, [`If-Match does not match the current ETag of customer ${c.id}`]);
    }
    assert.deepEqual(ok(await get(acc, c.id)).result.keysets.map((k: { id: number }) => k.id), keysetIds);
    assert.deepEqual(ok(await del(acc, c.id, renamed.headers.etag as string)), { success: true });
    const c2 = await create(h, acc, 'star-delete');
    assert.deepEqual(ok(await del(acc, c2.id, '*')), { success: true });
  });

  test('timestamps are ISO-8601 UTC with milliseconds', async () => {
    const acc = await h().account();
    const c = await create(h, acc, 'iso');
    const { result } = ok(await update('PUT', acc, c.id, { name: 'y' }));
    assert.match(result.created, ISO);
    assert.match(result.updated, ISO);
  });
});
