// /v2/keysets: every rule of CONTRACT §5 for keysets (create, list, get, update, delete), on each store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Permission } from '../src/accounts/permissions.js';
import { sha256Hex } from '../src/secrets.js';
import { fails as failsInOrder, ISO, ok, VERSIONS } from './helpers/assertions.js';
import { countRows, describeEachStore, type TestAccount } from './helpers/harness.js';

const URL = '/v2/keysets';
const KEYSET_KEYS = ['appId', 'createdAt', 'id', 'name', 'publishKey', 'subscribeKey', 'type', 'updatedAt'];
const APP_ID_MESSAGE = 'keyset.appId must be a decimal string or a positive integer';
type Keyset = { id: string; appId: string; name: string; type: string; publishKey: string; subscribeKey: string; createdAt: string; updatedAt: string };

/** Keyset messages are compared in any order. */
const fails = (r: Parameters<typeof failsInOrder>[0], status: number, message: string[] | RegExp) => failsInOrder(r, status, message, true);

const withoutSecret = ({ secretKeys: _, ...k }: Keyset & { secretKeys?: unknown }): Keyset => k;

describeEachStore('keysets', (h) => {
  const req = (acc: TestAccount | string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, version?: string, headers?: Record<string, string>) =>
    h().request({ method, url, key: typeof acc === 'string' ? acc : acc.key, body, version, headers });
  /** PubNub's own client sends Content-Type: application/json on every request, GET and DELETE included. */
  const json = { 'content-type': 'application/json' };
  const newApp = async (acc: TestAccount): Promise<string> => ok(await req(acc, 'POST', '/v2/apps', { name: 'App' }), 201).id;
  const create = async (acc: TestAccount, appId: string | number, name = 'K', type = 'testing') =>
    ok(await req(acc, 'POST', URL, { keyset: { name, appId, type } }), 201).keyset as Keyset & { secretKeys: { secretKey: string; expiresAt: null }[] };
  const keyFor = async (acc: TestAccount, permissions: Permission[]) => (await h().accounts.createApiKey({ accountId: acc.accountId, permissions })).key;

  /** PubNub's client loop: GET ?page=N&limit=L while collected < total. Returns the ids collected. */
  async function collect(acc: TestAccount, limit: number, filter = ''): Promise<{ ids: string[]; total: number }> {
    const ids: string[] = [];
    let total = -1;
    for (let page = 1; total < 0 || ids.length < total; page++) {
      const b = ok(await req(acc, 'GET', `${URL}?page=${page}&limit=${limit}${filter}`));
      if (total < 0) total = b.total;
      assert.equal(b.total, total, 'total changes between pages');
      assert.deepEqual([b.page, b.limit], [page, limit]);
      assert.ok(b.keysets.length <= limit);
      assert.ok(b.keysets.length > 0, `page ${page} is empty with ${ids.length} of ${total} collected`);
      ids.push(...b.keysets.map((k: Keyset) => k.id));
    }
    return { ids, total };
  }

  test('POST creates a keyset: 201 { keyset: { …, secretKeys: [{ secretKey, expiresAt: null }] } }', async () => {
    const acc = await h().account();
    const appId = await newApp(acc);
    const before = h().clock.now().getTime();
    const r = await req(acc, 'POST', URL, { keyset: { name: 'Main', appId, type: 'testing' } });
    const body = ok(r, 201);
    assert.deepEqual(Object.keys(body), ['keyset', 'config']);
    const k = body.keyset;
    assert.deepEqual(Object.keys(k).sort(), [...KEYSET_KEYS, 'secretKeys'].sort());
    assert.match(k.id, /^[1-9][0-9]*$/);
    assert.strictEqual(k.appId, appId);
    assert.deepEqual([k.name, k.type, k.updatedAt], ['Main', 'testing', k.createdAt]);
    assert.match(k.publishKey, /^pub-c-[A-Za-z0-9-]+$/);
    assert.match(k.subscribeKey, /^sub-c-[A-Za-z0-9-]+$/);
    const secret: string = k.secretKeys[0]?.secretKey;
    assert.match(secret, /^sec-c-[A-Za-z0-9]{5,}$/);
    assert.deepEqual(k.secretKeys, [{ secretKey: secret, expiresAt: null }]);
    assert.match(k.createdAt, ISO);
    assert.ok(Date.parse(k.createdAt) >= before && Date.parse(k.createdAt) <= h().clock.now().getTime());
    const p = await create(acc, appId, 'Prod', 'production');
    assert.equal(p.type, 'production');
    assert.ok(Number(p.id) > Number(k.id));
    assert.equal(new Set([k.publishKey, k.subscribeKey, secret, p.publishKey, p.subscribeKey, p.secretKeys[0]?.secretKey]).size, 6);
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}/${k.id}`)), withoutSecret(k));
    const row = await h().store.db.selectFrom('keysets').selectAll().where('id', '=', Number(k.id)).executeTakeFirstOrThrow();
    assert.deepEqual([Number(row.account_id), Number(row.app_id)], [acc.accountId, Number(appId)]);
  });

  test('appId: a decimal string (PubNub\'s form) or a number; other forms → 400; an unknown or another account\'s app → the same 404', async () => {
    const acc = await h().account();
    const appId = await newApp(acc);
    assert.strictEqual((await create(acc, appId)).appId, appId);
    assert.strictEqual((await create(acc, Number(appId))).appId, appId);
    const theirApp = await newApp(await h().account());
    const count = await countRows(h().store, 'keysets');
    for (const bad of [0, -1, 1.5, '', 'abc', '1.5', '-1', ' 1', null, true, [1]]) {
      fails(await req(acc, 'POST', URL, { keyset: { name: 'K', appId: bad, type: 'testing' } }), 400, [APP_ID_MESSAGE]);
    }
    for (const id of [theirApp, String(Number(theirApp) + 1_000_000)]) {
      for (const form of [id, Number(id)]) {
        assert.deepEqual((await req(acc, 'POST', URL, { keyset: { name: 'K', appId: form, type: 'testing' } })).json(), { statusCode: 404, error: 'NotFound', message: [`app ${id} not found`] });
      }
    }
    assert.equal(await countRows(h().store, 'keysets'), count);
  });

  test('create: every problem is listed naming its field, and nothing is written', async () => {
    const acc = await h().account();
    const appId = await newApp(acc);
    const valid = { name: 'K', appId, type: 'testing' };
    const cases: [unknown, string[]][] = [
      [{}, ['keyset is required']],
      [{ keyset: {} }, ['keyset.name is required', 'keyset.appId is required', 'keyset.type is required']],
      [{ keyset: valid, extra: 1 }, ['property extra should not exist']],
      [{ keyset: { ...valid, foo: 1 } }, ['property keyset.foo should not exist']],
      [{ keyset: { ...valid, type: 'staging' } }, ['keyset.type must be one of: testing, production']],
      [{ keyset: { ...valid, type: null } }, ['keyset.type must be one of: testing, production']],
      [{ keyset: { ...valid, name: '' } }, ['keyset.name must be at least 1 character long']],
      [{ keyset: { ...valid, name: '😀'.repeat(256) } }, ['keyset.name must be at most 255 characters long']],
      [{ keyset: { ...valid, name: 'a'.repeat(256) } }, ['keyset.name must be at most 255 characters long']],
      [{ keyset: { ...valid, name: 7 } }, ['keyset.name must be a string']],
      [{ keyset: { name: '', appId: 'x', type: 'x' } }, ['keyset.name must be at least 1 character long', APP_ID_MESSAGE, 'keyset.type must be one of: testing, production']],
      [{ keyset: 'k' }, ['keyset must be a JSON object']],
    ];
    const count = await countRows(h().store, 'keysets');
    for (const [body, message] of cases) fails(await req(acc, 'POST', URL, body), 400, message);
    for (const raw of ['"a\\u0000b"', '"\\ud800"', '"x\\udfffy"']) {
      const payload = `{"keyset":{"name":${raw},"appId":"${appId}","type":"testing"}}`;
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, payload, headers: { 'content-type': 'application/json' } });
      fails(r, 400, ['keyset.name must not contain NUL characters or unpaired UTF-16 surrogates']);
    }
    assert.equal(await countRows(h().store, 'keysets'), count);
    for (const name of ['😀'.repeat(255), 'a'.repeat(255), '  日本語 e\u0301 ']) assert.equal((await create(acc, appId, name)).name, name);
  });

  test('the secret key is shown only by create: never in GET, list or PATCH, and the store holds only a hash', async () => {
    const acc = await h().account();
    const appId = await newApp(acc);
    const k = await create(acc, appId, 'Secretive');
    const secret = k.secretKeys[0]!.secretKey;
    const later = [
      await req(acc, 'GET', `${URL}/${k.id}`), await req(acc, 'GET', URL), await req(acc, 'GET', `${URL}?appId=${appId}&limit=100`),
      await req(acc, 'PATCH', `${URL}/${k.id}`, { name: 'Renamed' }), await req(acc, 'PATCH', `${URL}/${k.id}`, { type: 'production' }),
      await req(acc, 'GET', `${URL}/${k.id}`),
    ];
    for (const r of later) {
      ok(r);
      assert.ok(!r.body.includes(secret.slice(6)) && !r.body.includes('secretKey'), r.body);
    }
    const rows = await h().store.db.selectFrom('keysets').selectAll().execute();
    for (const row of rows) for (const [column, value] of Object.entries(row)) assert.ok(!String(value).includes(secret.slice(6)), `keysets.${column} holds it`);
    const stored = await h().store.db.selectFrom('secret_keys').selectAll().where('keyset_id', '=', Number(k.id)).execute();
    assert.deepEqual(stored.map((r) => [r.prefix, r.hash, r.expires_at]), [[secret.slice(0, 11), sha256Hex(secret), null]]);
  });

  test('list: ordered by id, page 1 and limit 10 by default, no secret, a page past the end is empty with the true total', async () => {
    const acc = await h().account();
    const ids = (await h().keysets(acc, 12)).keysetIds.map(String);
    const first = ok(await req(acc, 'GET', URL));
    assert.deepEqual({ ...first, keysets: first.keysets.map((k: Keyset) => k.id) }, { keysets: ids.slice(0, 10), total: 12, page: 1, limit: 10 });
    for (const k of first.keysets) assert.deepEqual([Object.keys(k).sort(), k], [KEYSET_KEYS, ok(await req(acc, 'GET', `${URL}/${k.id}`))]);
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}?page=2`)).keysets.map((k: Keyset) => k.id), ids.slice(10));
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}?page=3`)), { keysets: [], total: 12, page: 3, limit: 10 });
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}?page=1000000000&limit=100`)), { keysets: [], total: 12, page: 1000000000, limit: 100 });
    assert.deepEqual(ok(await req(await h().account(), 'GET', URL)), { keysets: [], total: 0, page: 1, limit: 10 });
  });

  test('paging reaches exactly total: the PubNub client loop with limit=100, small limits, and with the appId filter', async () => {
    const acc = await h().account();
    const apps = [await newApp(acc), await newApp(acc)];
    const made: Keyset[] = [];
    // Interleaved between two apps, so that id order differs from grouping by app.
    for (let i = 0; i < 105; i++) made.push(await create(acc, apps[i % 3 === 0 ? 0 : 1]!, `K${i}`));
    for (const limit of [100, 1, 7, 10]) assert.deepEqual(await collect(acc, limit), { ids: made.map((k) => k.id), total: 105 }, `limit ${limit}`);
    for (const appId of apps) {
      const ids = made.filter((k) => k.appId === appId).map((k) => k.id);
      for (const limit of [100, 7]) assert.deepEqual(await collect(acc, limit, `&appId=${appId}`), { ids, total: ids.length }, `app ${appId}, limit ${limit}`);
    }
  });

  test('list query: appId keeps one app; another account\'s or an unknown app lists nothing; bad page/limit/appId → 400 naming the field', async () => {
    const acc = await h().account();
    const a = await h().keysets(acc, 2);
    const b = await h().keysets(acc, 3);
    const theirs = await h().keysets(await h().account(), 2);
    const only = ok(await req(acc, 'GET', `${URL}?appId=${b.appId}`));
    assert.deepEqual([only.total, only.keysets.map((k: Keyset) => [k.id, k.appId])], [3, b.keysetIds.map((id) => [String(id), String(b.appId)])]);
    for (const appId of [theirs.appId, theirs.appId + 1_000_000]) {
      assert.deepEqual(ok(await req(acc, 'GET', `${URL}?appId=${appId}`)), { keysets: [], total: 0, page: 1, limit: 10 });
    }
    const mine = ok(await req(acc, 'GET', `${URL}?limit=100`));
    assert.deepEqual([mine.total, mine.keysets.map((k: Keyset) => k.id)], [5, [...a.keysetIds, ...b.keysetIds].map(String)]);
    const cases: [string, string[] | RegExp][] = [
      ['page=0', ['page must be at least 1']], ['page=-1', ['page must be at least 1']], ['page=abc', ['page must be an integer']],
      ['page=1.5', ['page must be an integer']], ['limit=0', ['limit must be at least 1']], ['limit=101', ['limit must be at most 100']],
      ['limit=-1', ['limit must be at least 1']], ['limit=abc', ['limit must be an integer']], ['limit=1.5', ['limit must be an integer']],
      ['page=0&limit=101', ['page must be at least 1', 'limit must be at most 100']], ['appId=abc', /^appId /], ['appId=-1', /^appId /],
    ];
    for (const [qs, message] of cases) fails(await req(acc, 'GET', `${URL}?${qs}`), 400, message);
  });

  test('unknown or another account\'s keyset → the same 404 on GET, PATCH and DELETE; a malformed id → 400', async () => {
    const acc = await h().account();
    const other = await h().account();
    const { keysetIds: [theirs] } = await h().keysets(other, 1);
    const before = ok(await req(other, 'GET', `${URL}/${theirs}`));
    for (const id of [String(theirs), String(theirs! + 1_000_000)]) {
      const expected = { statusCode: 404, error: 'NotFound', message: [`keyset ${id} not found`] };
      assert.deepEqual((await req(acc, 'GET', `${URL}/${id}`)).json(), expected);
      assert.deepEqual((await req(acc, 'PATCH', `${URL}/${id}`, { name: 'Hijack', type: 'production' })).json(), expected);
      assert.deepEqual((await req(acc, 'DELETE', `${URL}/${id}`)).json(), expected);
    }
    assert.deepEqual(ok(await req(other, 'GET', `${URL}/${theirs}`)), before);
    for (const id of ['abc', '-1', '1.5', '0x1']) {
      fails(await req(acc, 'GET', `${URL}/${id}`), 400, /^id /);
      fails(await req(acc, 'PATCH', `${URL}/${id}`, { name: 'x' }), 400, /^id /);
      fails(await req(acc, 'DELETE', `${URL}/${id}`), 400, /^id /);
    }
  });

  test('PATCH changes name and/or type only: keys, appId and createdAt stay, updatedAt moves', async () => {
    const acc = await h().account();
    const appId = await newApp(acc);
    const k = withoutSecret(await create(acc, appId, 'Old'));
    h().clock.advance(1000);
    const a = ok(await req(acc, 'PATCH', `${URL}/${k.id}`, { name: 'New' }));
    assert.deepEqual(Object.keys(a).sort(), KEYSET_KEYS);
    assert.deepEqual({ ...a, updatedAt: k.updatedAt }, { ...k, name: 'New' });
    assert.match(a.updatedAt, ISO);
    assert.ok(Date.parse(a.updatedAt) >= Date.parse(k.updatedAt) + 1000);
    h().clock.advance(1000);
    const b = ok(await req(acc, 'PATCH', `${URL}/${k.id}`, { type: 'production' }));
    assert.deepEqual({ ...b, updatedAt: k.updatedAt }, { ...k, name: 'New', type: 'production' });
    assert.ok(Date.parse(b.updatedAt) >= Date.parse(a.updatedAt) + 1000);
    const c = ok(await req(acc, 'PATCH', `${URL}/${k.id}`, { name: '😀'.repeat(255), type: 'testing' }));
    assert.deepEqual({ ...c, updatedAt: k.updatedAt }, { ...k, name: '😀'.repeat(255) });
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}/${k.id}`)), c);
  });

  test('PATCH: at least one of name/type, type testing|production, no other property; nothing written', async () => {
    const acc = await h().account();
    const k = withoutSecret(await create(acc, await newApp(acc)));
    const cases: [unknown, string[]][] = [
      [{}, ['body must contain at least 1 property']],
      [{ type: 'staging' }, ['type must be one of: testing, production']],
      [{ name: '' }, ['name must be at least 1 character long']],
      [{ name: 'a'.repeat(256) }, ['name must be at most 255 characters long']],
      [{ name: null }, ['name must be a string']],
      [{ appId: '1' }, ['property appId should not exist']],
      [{ name: 'x', publishKey: 'pub-c-x' }, ['property publishKey should not exist']],
      [{ keyset: { name: 'x' } }, ['property keyset should not exist']],
    ];
    for (const [body, message] of cases) fails(await req(acc, 'PATCH', `${URL}/${k.id}`, body), 400, message);
    const r = await h().request({ method: 'PATCH', url: `${URL}/${k.id}`, key: acc.key, payload: '{"name":"\\ud800"}', headers: { 'content-type': 'application/json' } });
    fails(r, 400, ['name must not contain NUL characters or unpaired UTF-16 surrogates']);
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}/${k.id}`)), k);
  });

  test('DELETE: 200 { success: true }; the keyset and its customer assignment are gone, the customer stays', async () => {
    const acc = await h().account();
    const { appId, keysetIds } = await h().keysets(acc, 2);
    const customerId = ok(await req(acc, 'POST', '/v2/oem/customers', { externalId: 'holder', name: 'Holder', keysetIds })).result.id;
    assert.deepEqual(ok(await req(acc, 'DELETE', `${URL}/${keysetIds[0]}`)), { success: true });
    fails(await req(acc, 'GET', `${URL}/${keysetIds[0]}`), 404, [`keyset ${keysetIds[0]} not found`]);
    fails(await req(acc, 'DELETE', `${URL}/${keysetIds[0]}`), 404, [`keyset ${keysetIds[0]} not found`]);
    const held = await h().store.db.selectFrom('customer_keysets').select('keyset_id').where('customer_id', '=', customerId).execute();
    assert.deepEqual(held.map((r) => Number(r.keyset_id)), [keysetIds[1]]);
    assert.deepEqual(await h().store.db.selectFrom('customer_keysets').selectAll().where('keyset_id', '=', keysetIds[0]!).execute(), []);
    assert.ok(await h().store.db.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst());
    const list = ok(await req(acc, 'GET', `${URL}?appId=${appId}`));
    assert.deepEqual([list.total, list.keysets.map((k: Keyset) => k.id)], [1, [String(keysetIds[1])]]);
  });

  test('keysets:read is needed to read and keysets:write to create, change and delete (403 otherwise, nothing written)', async () => {
    const acc = await h().account();
    const appId = await newApp(acc);
    const k = withoutSecret(await create(acc, appId));
    const read = await keyFor(acc, ['keysets:read']);
    const write = await keyFor(acc, ['keysets:write']);
    const neither = await keyFor(acc, ['oem:read', 'oem:write', 'apps:read', 'apps:write']);
    const count = await countRows(h().store, 'keysets');
    for (const key of [read, neither]) {
      fails(await req(key, 'POST', URL, { keyset: { name: 'No', appId, type: 'testing' } }), 403, /keysets:write/);
      fails(await req(key, 'PATCH', `${URL}/${k.id}`, { name: 'No' }), 403, /keysets:write/);
      fails(await req(key, 'DELETE', `${URL}/${k.id}`), 403, /keysets:write/);
    }
    for (const key of [write, neither]) {
      fails(await req(key, 'GET', URL), 403, /keysets:read/);
      fails(await req(key, 'GET', `${URL}/${k.id}`), 403, /keysets:read/);
    }
    assert.equal(await countRows(h().store, 'keysets'), count);
    assert.deepEqual(ok(await req(read, 'GET', `${URL}/${k.id}`)), k);
    assert.deepEqual(ok(await req(read, 'GET', URL)).keysets, [k]);
    const made = ok(await req(write, 'POST', URL, { keyset: { name: 'Yes', appId, type: 'production' } }), 201).keyset;
    assert.equal(ok(await req(write, 'PATCH', `${URL}/${made.id}`, { type: 'testing' })).type, 'testing');
    assert.deepEqual(ok(await req(write, 'DELETE', `${URL}/${made.id}`)), { success: true });
  });

  test('every known version serves every keysets route (since 2025-11-15), echoed, for a non-OEM account, with PubNub\'s headers', async () => {
    const acc = await h().account({ oem: false });
    const bearer = `Bearer ${acc.key}`;
    const appId = await newApp(acc);
    for (const v of VERSIONS) {
      const created = await req(bearer, 'POST', URL, { keyset: { name: v, appId, type: 'testing' } }, v);
      const id = ok(created, 201).keyset.id;
      const responses = [created, await req(bearer, 'GET', URL, undefined, v, json), await req(bearer, 'GET', `${URL}/${id}`, undefined, v, json),
        await req(bearer, 'PATCH', `${URL}/${id}`, { type: 'production' }, v), await req(bearer, 'DELETE', `${URL}/${id}`, undefined, v, json)];
      for (const [i, r] of responses.entries()) {
        ok(r, i === 0 ? 201 : 200);
        assert.equal(r.headers['pubnub-version'], v);
      }
    }
    fails(await req(bearer, 'GET', URL, undefined, '2025-11-14'), 400, /known versions/);
  });
});
