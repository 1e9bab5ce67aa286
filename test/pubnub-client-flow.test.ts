// End to end over real HTTP: the onboarding flow exactly as PubNub's MCP server's Admin API client
// sends it (KEYSETS-AND-APPS.md §4: every header on every request, the paging loop with limit=100,
// app ids compared as strings, partial config blocks), written from those request and response
// shapes; then what a partner does next: a customer holding the keyset, another keyset assigned,
// and an access token whose keysetIds claim names both. Once with a raw key, once with Bearer.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { describeEachStore, type TestAccount } from './helpers/harness.js';
import { DEFAULT_CONFIG, withConfig } from './helpers/keyset-config.js';

const CLIENT_VERSION = '2026-03-23';

type Json = any;

/** The client's transport: the same three headers on every request; every 2xx must parse as JSON. */
function adminClient(baseUrl: string, authorization: string) {
  const headers = { 'Content-Type': 'application/json', Authorization: authorization, 'PubNub-Version': CLIENT_VERSION };
  return async function call(method: string, path: string, body?: unknown, status = 200): Promise<Json> {
    const r = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await r.text();
    assert.equal(r.status, status, `${method} ${path}: ${text}`);
    assert.ok(r.ok);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/, `${method} ${path}`);
    return JSON.parse(text); // what the client does with every success
  };
}

type Call = ReturnType<typeof adminClient>;

/** manage_apps list / manage_keysets list: page=1,2,… with limit=100 while collected < total (total from page 1). */
async function collectAll(call: Call, resource: 'apps' | 'keysets'): Promise<{ items: Json[]; total: number; pages: number }> {
  const items: Json[] = [];
  let total = 0;
  let page = 1;
  do {
    const body = await call('GET', `/v2/${resource}?page=${page}&limit=100`);
    if (page === 1) total = body.total;
    assert.ok(body[resource].length > 0 || total === 0, `page ${page} of ${resource} is empty with ${items.length} of ${total} collected`);
    items.push(...body[resource]);
    page++;
    assert.ok(page < 100, 'the paging loop does not end');
  } while (items.length < total);
  return { items, total, pages: page - 1 };
}

describeEachStore('PubNub client flow over HTTP', (h) => {
  let base = '';
  const server = async () => {
    if (!base) {
      await h().app.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(h().app.server.address() as AddressInfo).port}`;
    }
    return base;
  };

  /** More than 100 apps and keysets already in the account, so that both lists page. */
  async function populated(): Promise<TestAccount> {
    const acc = await h().account();
    await h().keysets(acc, 101);
    for (let i = 0; i < 100; i++) await h().request({ method: 'POST', url: '/v2/apps', key: acc.key, body: { name: `Existing ${i}` } });
    return acc;
  }

  for (const [label, auth] of [['a raw API key', (k: string) => k], ['a Bearer API key', (k: string) => `Bearer ${k}`]] as const) {
    test(`onboarding with ${label}: list apps, create app and keysets with config, list and read keysets, change config; then customer, assignment, token`, async () => {
      const acc = await populated();
      const call = adminClient(await server(), auth(acc.key));

      // manage_apps list
      const apps = await collectAll(call, 'apps');
      assert.deepEqual([apps.total, apps.items.length, apps.pages], [101, 101, 2]);
      for (const a of apps.items) assert.ok(typeof a.id === 'string' && typeof a.name === 'string');

      // manage_keysets create without appId: an app named after the keyset first, then the keyset with config {}
      const app = await call('POST', '/v2/apps', { name: 'Onboarding chat' }, 201);
      assert.equal(typeof app.id, 'string');
      const first = await call('POST', '/v2/keysets', { keyset: { name: 'Onboarding chat', appId: app.id, type: 'testing' }, config: {} }, 201);
      assert.match(first.keyset.publishKey, /^pub-c-/);
      assert.match(first.keyset.subscribeKey, /^sub-c-/);
      assert.deepEqual(first.config, DEFAULT_CONFIG);

      // manage_keysets create with appId and partial blocks
      const persistence = { messagePersistence: { enabled: true, retention: 7 } };
      const second = await call('POST', '/v2/keysets', { keyset: { name: 'Onboarding prod', appId: app.id, type: 'production' }, config: persistence }, 201);
      assert.deepEqual(second.config, withConfig(persistence));
      const richConfig = {
        messagePersistence: { enabled: true, retention: 30, includePresenceEvents: true },
        appContext: { enabled: true, region: 'aws-fra-1', referentialIntegrity: true },
        files: { enabled: true, region: 'eu-central-1', retention: 30 },
        presence: { enabled: true, announceMax: 50, interval: 20, debounce: 5 },
      };
      const third = await call('POST', '/v2/keysets', { keyset: { name: 'Onboarding EU', appId: app.id, type: 'testing' }, config: richConfig }, 201);
      assert.deepEqual(third.config, withConfig(richConfig));
      assert.match(third.keyset.publishKey, /^pub-c-/);

      // manage_keysets list: no appId filter on the wire; the client keeps keyset.appId === app.id
      const keysets = await collectAll(call, 'keysets');
      assert.deepEqual([keysets.total, keysets.items.length, keysets.pages], [104, 104, 2]);
      const ours = keysets.items.filter((k: Json) => k.appId === app.id);
      assert.deepEqual(ours.map((k: Json) => [k.id, k.name, k.type, k.publishKey, k.subscribeKey]), [first, second, third].map(({ keyset: k }) => [k.id, k.name, k.type, k.publishKey, k.subscribeKey]));

      // manage_keysets get
      const got = await call('GET', `/v2/keysets/${third.keyset.id}`);
      assert.deepEqual([got.id, got.subscribeKey, got.publishKey, got.type], [third.keyset.id, third.keyset.subscribeKey, third.keyset.publishKey, 'testing']);

      // manage_keysets update: PATCH …/config with partial blocks; the answer must be JSON (the whole config)
      const change = { messagePersistence: { enabled: true, retention: 90 }, presence: { enabled: true, deltas: true } };
      const updated = await call('PATCH', `/v2/keysets/${third.keyset.id}/config`, change);
      const want = withConfig({ ...richConfig, messagePersistence: { ...richConfig.messagePersistence, retention: 90 }, presence: { ...richConfig.presence, deltas: true } });
      assert.deepEqual(updated, want);
      assert.deepEqual(await call('PATCH', `/v2/keysets/${first.keyset.id}/config`, { files: { enabled: false } }), withConfig({ files: { enabled: false } }));
      // the older client read the config after the keyset
      assert.deepEqual(await call('GET', `/v2/keysets/${third.keyset.id}/config`), want);
      // manage_apps update
      assert.equal((await call('PATCH', `/v2/apps/${app.id}`, { name: 'Onboarding chat (renamed)' })).id, app.id);

      // What the partner does next: a customer holding the first keyset, the third assigned afterwards, a token.
      const externalId = `onboarded-${label.includes('Bearer') ? 'bearer' : 'raw'}`;
      const customer = (await call('POST', '/v2/oem/customers', { externalId, name: 'Onboarded Inc.', keysetIds: [Number(first.keyset.id)] })).result; // 200, as PubNub's OEM API answers
      assert.deepEqual(customer.keysets.map((k: Json) => k.id), [Number(first.keyset.id)]);
      const assigned = (await call('POST', `/v2/oem/customers/${customer.id}/keysets`, { keysetIds: [Number(third.keyset.id)] })).result;
      assert.deepEqual(assigned.keysets.map((k: Json) => k.id).sort((a: number, b: number) => a - b), [Number(first.keyset.id), Number(third.keyset.id)]);
      const { accessToken } = await call('POST', '/v2/oem/access-token', {
        externalId, appId: Number(app.id), customerUserId: 'user-7', permissions: ['dashboard:read'],
      });
      const [, payload] = String(accessToken).split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
      assert.deepEqual([...claims.keysetIds].sort((a: number, b: number) => a - b), [Number(first.keyset.id), Number(third.keyset.id)]);
      assert.deepEqual([claims.appId, claims.externalId, claims.sub, claims.customerId], [Number(app.id), externalId, 'user-7', customer.id]);
    });
  }
});
