// /v2/apps: every rule of CONTRACT §5 for apps (create, list, get, rename, delete), on each store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Permission } from '../src/accounts/permissions.js';
import { fails, ISO, ok, VERSIONS } from './helpers/assertions.js';
import { countRows, describeEachStore, type TestAccount } from './helpers/harness.js';

const URL = '/v2/apps';
type App = { id: string; name: string; createdAt: string; updatedAt: string };

describeEachStore('apps', (h) => {
  const req = (acc: TestAccount | string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, version?: string, headers?: Record<string, string>) =>
    h().request({ method, url, key: typeof acc === 'string' ? acc : acc.key, body, version, headers });
  /** PubNub's own client sends Content-Type: application/json on every request, GET and DELETE included. */
  const json = { 'content-type': 'application/json' };
  const create = async (acc: TestAccount, name = 'App'): Promise<App> => ok(await req(acc, 'POST', URL, { name }), 201);
  const keyFor = async (acc: TestAccount, permissions: Permission[]) => (await h().accounts.createApiKey({ accountId: acc.accountId, permissions })).key;

  /** PubNub's client loop: GET ?page=N&limit=L while collected < total. Returns the ids collected. */
  async function collect(acc: TestAccount, limit: number): Promise<{ ids: string[]; total: number }> {
    const ids: string[] = [];
    let total = -1;
    for (let page = 1; total < 0 || ids.length < total; page++) {
      const b = ok(await req(acc, 'GET', `${URL}?page=${page}&limit=${limit}`));
      if (total < 0) total = b.total;
      assert.equal(b.total, total, 'total changes between pages');
      assert.equal(b.page, page);
      assert.equal(b.limit, limit);
      assert.ok(b.apps.length <= limit);
      assert.ok(b.apps.length > 0, `page ${page} is empty with ${ids.length} of ${total} collected`);
      ids.push(...b.apps.map((a: App) => a.id));
    }
    return { ids, total };
  }

  test('POST creates an app: 201 and exactly { id, name, createdAt, updatedAt }, id a decimal string', async () => {
    const acc = await h().account();
    const before = h().clock.now().getTime();
    const r = await req(acc, 'POST', URL, { name: 'My App' });
    const app = ok(r, 201);
    assert.deepEqual(Object.keys(app).sort(), ['createdAt', 'id', 'name', 'updatedAt']);
    assert.equal(typeof app.id, 'string');
    assert.match(app.id, /^[1-9][0-9]*$/);
    assert.equal(app.name, 'My App');
    assert.match(app.createdAt, ISO);
    assert.equal(app.updatedAt, app.createdAt);
    const at = Date.parse(app.createdAt);
    assert.ok(at >= before && at <= h().clock.now().getTime());
    assert.equal(r.headers['pubnub-version'], '2026-02-09');
    const row = await h().store.db.selectFrom('apps').selectAll().where('id', '=', Number(app.id)).executeTakeFirstOrThrow();
    assert.equal(Number(row.account_id), acc.accountId);
    assert.equal(row.name, 'My App');
    const second = await create(acc, 'Other');
    assert.ok(Number(second.id) > Number(app.id));
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}/${app.id}`)), app);
  });

  test('names of 1–255 code points are stored exactly, on create and rename', async () => {
    const acc = await h().account();
    const names = ['a', '  spaced  ', '😀'.repeat(255), 'a'.repeat(255), '日本語', 'e\u0301', '<b>"\'&'];
    for (const name of names) {
      const app = await create(acc, name);
      assert.equal(app.name, name);
      assert.equal(ok(await req(acc, 'GET', `${URL}/${app.id}`)).name, name);
      const renamed = ok(await req(acc, 'PATCH', `${URL}/${app.id}`, { name: `${name.slice(0, 200)}!` }));
      assert.equal(renamed.name, `${name.slice(0, 200)}!`);
    }
  });

  test('invalid bodies are refused on POST and PATCH and write nothing', async () => {
    const acc = await h().account();
    const app = await create(acc, 'Keep');
    const cases: [unknown, string[]][] = [
      [{ name: '' }, ['name must be at least 1 character long']],
      [{ name: 'a'.repeat(256) }, ['name must be at most 255 characters long']],
      [{ name: '😀'.repeat(256) }, ['name must be at most 255 characters long']],
      [{ name: 7 }, ['name must be a string']],
      [{ name: null }, ['name must be a string']],
      [{}, ['name is required']],
      [{ name: 'x', foo: 1 }, ['property foo should not exist']],
      [{ name: 'x', type: 'testing' }, ['property type should not exist']],
      [{ name: 'x', id: '1' }, ['property id should not exist']],
      [[], ['body must be a JSON object']],
    ];
    const apps = await countRows(h().store, 'apps');
    for (const [body, message] of cases) {
      fails(await req(acc, 'POST', URL, body), 400, message);
      fails(await req(acc, 'PATCH', `${URL}/${app.id}`, body), 400, message);
    }
    for (const raw of ['"a\\u0000b"', '"\\ud800"', '"x\\udfffy"']) {
      for (const [method, url] of [['POST', URL], ['PATCH', `${URL}/${app.id}`]] as const) {
        const r = await h().request({ method, url, key: acc.key, payload: `{"name":${raw}}`, headers: { 'content-type': 'application/json' } });
        fails(r, 400, ['name must not contain NUL characters or unpaired UTF-16 surrogates']);
      }
    }
    assert.equal(await countRows(h().store, 'apps'), apps);
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}/${app.id}`)), app);
  });

  test('PATCH renames: same id and createdAt, a later updatedAt', async () => {
    const acc = await h().account();
    const app = await create(acc, 'Before');
    h().clock.advance(1000);
    const r = ok(await req(acc, 'PATCH', `${URL}/${app.id}`, { name: 'After' }));
    assert.deepEqual(Object.keys(r).sort(), ['createdAt', 'id', 'name', 'updatedAt']);
    assert.equal(r.id, app.id);
    assert.equal(r.name, 'After');
    assert.equal(r.createdAt, app.createdAt);
    assert.match(r.updatedAt, ISO);
    assert.ok(Date.parse(r.updatedAt) >= Date.parse(app.updatedAt) + 1000, `${app.updatedAt} → ${r.updatedAt}`);
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}/${app.id}`)), r);
  });

  test('list: ordered by id, page 1 and limit 10 by default, a page past the end is empty with the true total', async () => {
    const acc = await h().account();
    const created: App[] = [];
    for (let i = 0; i < 12; i++) created.push(await create(acc, `A${i}`));
    const first = ok(await req(acc, 'GET', URL));
    assert.deepEqual(Object.keys(first).sort(), ['apps', 'limit', 'page', 'total']);
    assert.deepEqual(first, { apps: created.slice(0, 10), total: 12, page: 1, limit: 10 });
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}?page=2`)), { apps: created.slice(10), total: 12, page: 2, limit: 10 });
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}?page=3`)), { apps: [], total: 12, page: 3, limit: 10 });
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}?page=1000&limit=100`)), { apps: [], total: 12, page: 1000, limit: 100 });
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}?page=1000000000&limit=100`)), { apps: [], total: 12, page: 1000000000, limit: 100 });
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}?limit=5&page=3`)), { apps: created.slice(10), total: 12, page: 3, limit: 5 });
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}?limit=100`)).apps, created);
    const empty = await h().account();
    assert.deepEqual(ok(await req(empty, 'GET', URL)), { apps: [], total: 0, page: 1, limit: 10 });
  });

  test('paging reaches exactly total: the PubNub client loop with limit=100, and small limits', async () => {
    const acc = await h().account();
    const ids: string[] = [];
    for (let i = 0; i < 105; i++) ids.push((await create(acc, `P${i}`)).id);
    for (const limit of [100, 1, 7, 10, 99]) {
      const got = await collect(acc, limit);
      assert.equal(got.total, 105);
      assert.deepEqual(got.ids, ids, `limit ${limit}`);
      assert.equal(new Set(got.ids).size, got.ids.length);
    }
  });

  test('page and limit out of range or not integers → 400 naming the field', async () => {
    const acc = await h().account();
    const cases: [string, string[]][] = [
      ['page=0', ['page must be at least 1']],
      ['page=-1', ['page must be at least 1']],
      ['page=abc', ['page must be an integer']],
      ['page=1.5', ['page must be an integer']],
      ['limit=0', ['limit must be at least 1']],
      ['limit=101', ['limit must be at most 100']],
      ['limit=-1', ['limit must be at least 1']],
      ['limit=abc', ['limit must be an integer']],
      ['limit=1.5', ['limit must be an integer']],
    ];
    for (const [qs, message] of cases) fails(await req(acc, 'GET', `${URL}?${qs}`), 400, message);
    const both = await req(acc, 'GET', `${URL}?page=0&limit=101`);
    assert.equal(both.statusCode, 400);
    assert.deepEqual(new Set(both.json().message), new Set(['page must be at least 1', 'limit must be at most 100']));
    assert.equal(ok(await req(acc, 'GET', `${URL}?page=1&limit=100`)).limit, 100);
    assert.equal(ok(await req(acc, 'GET', `${URL}?limit=1`)).limit, 1);
  });

  test('another account\'s apps never appear and read as unknown (404) on GET, PATCH and DELETE', async () => {
    const mine = await h().account();
    const theirs = await h().account();
    const myApps = [await create(mine, 'M1'), await create(mine, 'M2')];
    const their = await create(theirs, 'Theirs');
    assert.deepEqual(ok(await req(mine, 'GET', `${URL}?limit=100`)), { apps: myApps, total: 2, page: 1, limit: 100 });
    assert.equal(ok(await req(theirs, 'GET', URL)).total, 1);
    const unknown = String(Number(their.id) + 1_000_000);
    for (const id of [their.id, unknown]) {
      const expected = { statusCode: 404, error: 'NotFound', message: [`app ${id} not found`] };
      assert.deepEqual((await req(mine, 'GET', `${URL}/${id}`)).json(), expected);
      assert.deepEqual((await req(mine, 'PATCH', `${URL}/${id}`, { name: 'Hijack' })).json(), expected);
      assert.deepEqual((await req(mine, 'DELETE', `${URL}/${id}`)).json(), expected);
      assert.equal((await req(mine, 'DELETE', `${URL}/${id}`)).statusCode, 404);
    }
    assert.deepEqual(ok(await req(theirs, 'GET', `${URL}/${their.id}`)), their);
  });

  test('a malformed id in the path → 400 naming it', async () => {
    const acc = await h().account();
    for (const id of ['abc', '-1', '1.5', '1e3', '0x1']) {
      fails(await req(acc, 'GET', `${URL}/${id}`), 400, /^id /);
      fails(await req(acc, 'PATCH', `${URL}/${id}`, { name: 'x' }), 400, /^id /);
      fails(await req(acc, 'DELETE', `${URL}/${id}`), 400, /^id /);
    }
  });

  test('DELETE removes the app: 200 { success: true }, then it is gone', async () => {
    const acc = await h().account();
    const keep = await create(acc, 'Keep');
    const app = await create(acc, 'Gone');
    const apps = await countRows(h().store, 'apps');
    assert.deepEqual(ok(await req(acc, 'DELETE', `${URL}/${app.id}`)), { success: true });
    assert.equal(await countRows(h().store, 'apps'), apps - 1);
    fails(await req(acc, 'GET', `${URL}/${app.id}`), 404, [`app ${app.id} not found`]);
    fails(await req(acc, 'DELETE', `${URL}/${app.id}`), 404, [`app ${app.id} not found`]);
    assert.deepEqual(ok(await req(acc, 'GET', URL)), { apps: [keep], total: 1, page: 1, limit: 10 });
  });

  test('DELETE of an app that still has keysets → 400 and the app stays', async () => {
    const acc = await h().account();
    const { appId, keysetIds } = await h().keysets(acc, 2);
    const before = ok(await req(acc, 'GET', `${URL}/${appId}`));
    const keysets = await countRows(h().store, 'keysets');
    fails(await req(acc, 'DELETE', `${URL}/${appId}`), 400, new RegExp(`app ${appId}\\b.*keyset`));
    assert.deepEqual(ok(await req(acc, 'GET', `${URL}/${appId}`)), before);
    assert.equal(await countRows(h().store, 'keysets'), keysets);
    for (const id of keysetIds) ok(await req(acc, 'GET', `/v2/keysets/${id}`));
    ok(await req(acc, 'DELETE', `/v2/keysets/${keysetIds[0]}`));
    fails(await req(acc, 'DELETE', `${URL}/${appId}`), 400, new RegExp(`app ${appId}\\b.*keyset`));
    ok(await req(acc, 'DELETE', `/v2/keysets/${keysetIds[1]}`));
    assert.deepEqual(ok(await req(acc, 'DELETE', `${URL}/${appId}`)), { success: true });
  });

  test('apps:read is needed to read and apps:write to create, rename and delete (403 otherwise, nothing written)', async () => {
    const acc = await h().account();
    const app = await create(acc, 'Perm');
    const read = await keyFor(acc, ['apps:read']);
    const write = await keyFor(acc, ['apps:write']);
    const neither = await keyFor(acc, ['oem:read', 'oem:write', 'keysets:read', 'keysets:write']);
    const apps = await countRows(h().store, 'apps');
    for (const key of [read, neither]) {
      fails(await req(key, 'POST', URL, { name: 'No' }), 403, /apps:write/);
      fails(await req(key, 'PATCH', `${URL}/${app.id}`, { name: 'No' }), 403, /apps:write/);
      fails(await req(key, 'DELETE', `${URL}/${app.id}`), 403, /apps:write/);
    }
    for (const key of [write, neither]) {
      fails(await req(key, 'GET', URL), 403, /apps:read/);
      fails(await req(key, 'GET', `${URL}/${app.id}`), 403, /apps:read/);
    }
    assert.equal(await countRows(h().store, 'apps'), apps);
    assert.deepEqual(ok(await req(read, 'GET', `${URL}/${app.id}`)), app);
    assert.deepEqual(ok(await req(read, 'GET', URL)).apps, [app]);
    const made = ok(await req(write, 'POST', URL, { name: 'Yes' }), 201);
    assert.equal(ok(await req(write, 'PATCH', `${URL}/${made.id}`, { name: 'Renamed' })).name, 'Renamed');
    assert.deepEqual(ok(await req(write, 'DELETE', `${URL}/${made.id}`)), { success: true });
    fails(await h().request({ method: 'GET', url: URL }), 401, /./);
  });

  test('every known version serves every apps route (since 2025-11-15), echoed, for a non-OEM account, with PubNub\'s headers', async () => {
    const acc = await h().account({ oem: false });
    const bearer = `Bearer ${acc.key}`;
    for (const v of VERSIONS) {
      const created = await req(bearer, 'POST', URL, { name: v }, v);
      const app = ok(created, 201);
      const responses = [created, await req(bearer, 'GET', URL, undefined, v, json), await req(bearer, 'GET', `${URL}/${app.id}`, undefined, v, json),
        await req(bearer, 'PATCH', `${URL}/${app.id}`, { name: `${v}!` }, v), await req(bearer, 'DELETE', `${URL}/${app.id}`, undefined, v, json)];
      for (const [i, r] of responses.entries()) {
        ok(r, i === 0 ? 201 : 200);
        assert.equal(r.headers['pubnub-version'], v);
      }
    }
    fails(await req(bearer, 'GET', URL, undefined, '2025-11-14'), 400, /known versions/);
  });
});
