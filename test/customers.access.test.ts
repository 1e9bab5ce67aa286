// Who may call OEM customer routes 2–10 and from which PubNub-Version (CONTRACT §1, §4): oem:read
// for GET, oem:write otherwise, an OEM-enrolled account, and each route's "since" version.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Permission } from '../src/accounts/permissions.js';
import { fails, VERSIONS } from './helpers/assertions.js';
import { describeEachStore, type Harness, type TestAccount } from './helpers/harness.js';

interface Fixture { acc: TestAccount; customerId: string; held: number; free: number }
interface Route { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; pattern: string; url: string; since: string; body?: unknown }

/** Routes 2–10, on a customer that holds `held`; `free` is a keyset nobody holds. */
const routes = (f: Fixture): Route[] => [
  { method: 'GET', pattern: '/v2/oem/customers', url: '/v2/oem/customers', since: '2026-02-09' },
  { method: 'GET', pattern: '/v2/oem/customers/:customerId', url: `/v2/oem/customers/${f.customerId}`, since: '2026-02-09' },
  { method: 'PUT', pattern: '/v2/oem/customers/:customerId', url: `/v2/oem/customers/${f.customerId}`, since: '2026-02-09', body: { name: 'P' } },
  { method: 'PATCH', pattern: '/v2/oem/customers/:customerId', url: `/v2/oem/customers/${f.customerId}`, since: '2026-02-09', body: { name: 'Q' } },
  { method: 'DELETE', pattern: '/v2/oem/customers/:customerId', url: `/v2/oem/customers/${f.customerId}`, since: '2026-03-01' },
  { method: 'POST', pattern: '/v2/oem/customers/:customerId/keysets', url: `/v2/oem/customers/${f.customerId}/keysets`, since: '2026-02-09', body: { keysetIds: [f.free] } },
  { method: 'DELETE', pattern: '/v2/oem/customers/:customerId/keysets/:keysetId', url: `/v2/oem/customers/${f.customerId}/keysets/${f.held}`, since: '2026-02-09' },
  { method: 'GET', pattern: '/v2/oem/keysets', url: `/v2/oem/keysets?customerId=${f.customerId}`, since: '2026-02-09' },
  { method: 'GET', pattern: '/v2/oem/keysets/:keysetId/customer', url: `/v2/oem/keysets/${f.held}/customer`, since: '2026-03-01' },
  { method: 'GET', pattern: '/v2/oem/customers/:customerId/applications', url: `/v2/oem/customers/${f.customerId}/applications`, since: '2026-03-01' },
];

async function fixture(h: () => Harness, acc?: TestAccount): Promise<Fixture> {
  const owner = acc ?? (await h().account());
  const { keysetIds: [held, free] } = await h().keysets(owner, 2);
  const r = await h().request({ method: 'POST', url: '/v2/oem/customers', key: owner.key, body: { externalId: `c${held}`, name: 'n', keysetIds: [held] } });
  assert.equal(r.statusCode, 200, r.body);
  return { acc: owner, customerId: r.json().result.id, held: held!, free: free! };
}

const send = (h: () => Harness, route: Route, key: string, version: string) =>
  h().request({ method: route.method, url: route.url, key, version, ...(route.body !== undefined ? { body: route.body } : {}) });

async function snapshot(h: () => Harness, f: Fixture) {
  const r = await h().request({ method: 'GET', url: `/v2/oem/customers/${f.customerId}`, key: f.acc.key });
  return { status: r.statusCode, body: r.body, etag: r.headers.etag };
}

describeEachStore('OEM customer routes: versions and permissions', (h) => {
  test('each route refuses a version before its own, naming the version that introduced it', async () => {
    const f = await fixture(h);
    const before = await snapshot(h, f);
    for (const route of routes(f)) {
      for (const version of VERSIONS.filter((v) => v < route.since)) {
        const r = await send(h, route, f.acc.key, version);
        fails(r, 400, [`${route.method} ${route.pattern} was introduced in PubNub-Version ${route.since}; the request asked for ${version}`]);
      }
    }
    assert.deepEqual(await snapshot(h, f), before, 'a refused request changed nothing');
  });

  test('each route answers from its own version on, and echoes the version', async () => {
    const acc = await h().account();
    const template = routes({ acc, customerId: '', held: 0, free: 0 });
    for (const version of VERSIONS) {
      for (const [i, route] of template.entries()) {
        if (version < route.since) continue;
        // A fresh customer per route, so a delete does not hide the routes after it.
        const r = await send(h, routes(await fixture(h, acc))[i]!, acc.key, version);
        assert.equal(r.statusCode, 200, `${route.method} ${route.pattern} @ ${version}: ${r.body}`);
        assert.equal(r.headers['pubnub-version'], version);
      }
    }
  });

  test('oem:read suffices for every GET and is refused for every write', async () => {
    const f = await fixture(h);
    const read = await h().accounts.createApiKey({ accountId: f.acc.accountId, permissions: ['oem:read'] });
    const before = await snapshot(h, f);
    for (const route of routes(f)) {
      const r = await send(h, route, read.key, route.since);
      if (route.method === 'GET') assert.equal(r.statusCode, 200, `${route.method} ${route.pattern}: ${r.body}`);
      else fails(r, 403, ['this API key lacks the oem:write permission']);
    }
    const create = await h().request({ method: 'POST', url: '/v2/oem/customers', key: read.key, body: { externalId: 'by-reader', name: 'n' } });
    fails(create, 403, ['this API key lacks the oem:write permission']);
    assert.deepEqual(await snapshot(h, f), before);
  });

  test('oem:write alone is refused for every GET and suffices for the writes', async () => {
    const f = await fixture(h);
    const write = await h().accounts.createApiKey({ accountId: f.acc.accountId, permissions: ['oem:write'] });
    for (const route of routes(f).filter((r) => r.method === 'GET')) {
      fails(await send(h, route, write.key, route.since), 403, ['this API key lacks the oem:read permission']);
    }
    for (const [i, route] of routes(f).entries()) {
      if (route.method === 'GET') continue;
      const r = await send(h, routes(await fixture(h, f.acc))[i]!, write.key, route.since);
      assert.equal(r.statusCode, 200, `${route.method} ${route.pattern}: ${r.body}`);
    }
  });

  test('keys with only app or keyset permissions are refused everywhere', async () => {
    const f = await fixture(h);
    const perms: Permission[] = ['apps:read', 'apps:write', 'keysets:read', 'keysets:write'];
    const key = await h().accounts.createApiKey({ accountId: f.acc.accountId, permissions: perms });
    for (const route of routes(f)) {
      const r = await send(h, route, key.key, route.since);
      fails(r, 403, [`this API key lacks the ${route.method === 'GET' ? 'oem:read' : 'oem:write'} permission`]);
    }
  });

  test('an account not enrolled as an OEM partner is refused on every route, whatever its key holds', async () => {
    const f = await fixture(h);
    const plain = await h().account({ oem: false });
    const { keysetIds } = await h().keysets(plain, 1);
    const before = await snapshot(h, f);
    const own: Fixture = { acc: plain, customerId: 'any-id', held: keysetIds[0]!, free: keysetIds[0]! };
    for (const route of [...routes(f), ...routes(own)]) {
      fails(await send(h, route, plain.key, route.since), 403, ['this account is not enrolled as an OEM partner']);
    }
    assert.deepEqual(await snapshot(h, f), before);
  });

  test('a missing or unknown key is a 401 before anything else', async () => {
    const f = await fixture(h);
    for (const route of routes(f)) {
      const none = await h().request({ method: route.method, url: route.url, version: '2025-11-15', ...(route.body ? { body: route.body } : {}) });
      assert.equal(none.statusCode, 401, `${route.method} ${route.pattern}`);
      assert.equal((await send(h, route, 'not-a-key-at-all-0123456789', route.since)).statusCode, 401);
    }
  });
});
