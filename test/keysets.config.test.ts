// /v2/keysets/:id/config and `config` on POST /v2/keysets: the schema of every field (enums, ranges,
// types, unknown fields), defaults, 404s, permissions and versions, on each store.
// The rules on the merged result (regions, required-when-enabled, merge) are in keysets.config.rules.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fails as failsInOrder, ok, VERSIONS } from './helpers/assertions.js';
import { countRows, describeEachStore, type TestAccount } from './helpers/harness.js';
import { BLOCKS, configClient, configUrl, CONTEXT_REGIONS, DEFAULT_CONFIG, FILES_REGIONS, RETENTIONS, withConfig } from './helpers/keyset-config.js';

const fails = (r: Parameters<typeof failsInOrder>[0], status: number, message: string[] | RegExp) => failsInOrder(r, status, message, true);

const ENUMS: [string, string, readonly (string | number)[], unknown[]][] = [
  ['files', 'retention', RETENTIONS, [2, 14, -1, 3650, 7.5, '7', true]],
  ['messagePersistence', 'retention', RETENTIONS, [3, 60, -7, '30', false]],
  ['files', 'region', FILES_REGIONS, ['us-east-2', 'US-EAST-1', 'aws-iad-1', '', 1]],
  ['appContext', 'region', CONTEXT_REGIONS, ['aws-iad-2', 'us-east-1', 'AWS-IAD-1', '', 1]],
  ['dataSync', 'region', CONTEXT_REGIONS, ['aws-xyz-1', 'eu-central-1', '', 0]],
];
const expected = (values: readonly (string | number)[]) => `must be one of: ${values.join(', ')}, or null`;

/** [block, field, accepted, refused, message] for the integers. */
const RANGES: [string, string, number[], unknown[], string[]][] = [
  ['streamController', 'channelGroupLimit', [1, 2, 100, 1999, 2000], [0, 2001, -1], ['must be at least 1', 'must be at most 2000']],
  ['presence', 'announceMax', [0, 1, 99, 100], [-1, 101], ['must be at least 0', 'must be at most 100']],
  ['presence', 'interval', [10, 11, 300, 86400], [9, 0, -10], ['must be at least 10']],
  ['presence', 'debounce', [0, 1, 2, 600], [-1], ['must be at least 0']],
];

const BOOLEANS: [string, string][] = [
  ['accessManager', 'enabled'], ['files', 'enabled'], ['streamController', 'enabled'], ['streamController', 'wildcardSubscribe'],
  ['appContext', 'enabled'], ['appContext', 'userMetadataEvents'], ['appContext', 'channelMetadataEvents'], ['appContext', 'membershipEvents'],
  ['appContext', 'disallowGetAllChannelMetadata'], ['appContext', 'disallowGetAllUserMetadata'], ['appContext', 'referentialIntegrity'],
  ['dataSync', 'enabled'], ['apns', 'enabled'], ['messagePersistence', 'enabled'], ['messagePersistence', 'includePresenceEvents'],
  ['messagePersistence', 'deleteFromHistory'], ['presence', 'enabled'], ['presence', 'deltas'], ['presence', 'generateLeaveOnDisconnect'],
  ['presence', 'streamFiltering'],
];
const TEXTS: [string, string][] = [['apns', 'teamId'], ['apns', 'authKeyId'], ['apns', 'filename'], ['fcm', 'filename'], ['presence', 'activeNoticeChannel']];

describeEachStore('keyset config: schema', (h) => {
  const c = configClient(h);
  /** A keyset whose regions are all unset and whose features are off, so that any field can be sent. */
  const blank = async (acc: TestAccount, appId: string) => (await c.create(acc, appId, {
    files: { enabled: false, region: null }, appContext: { enabled: false, region: null },
  })).id;

  test('create without config, with {} and with partial blocks: 201 with the whole config, equal to GET', async () => {
    const acc = await h().account();
    const appId = await c.newApp(acc);
    for (const [config, want] of [
      [undefined, DEFAULT_CONFIG],
      [{}, DEFAULT_CONFIG],
      [{ messagePersistence: { enabled: true, retention: 7 } }, DEFAULT_CONFIG],
      [{ messagePersistence: { retention: 30 }, presence: { announceMax: 50 }, fcm: { filename: 'fcm.json' }, files: {} },
        withConfig({ messagePersistence: { retention: 30 }, presence: { announceMax: 50 }, fcm: { filename: 'fcm.json' } })],
    ] as const) {
      const r = await c.createRaw(acc, appId, config);
      const body = ok(r, 201);
      assert.deepEqual(Object.keys(body), ['keyset', 'config']);
      assert.deepEqual(body.config, want);
      assert.deepEqual(Object.keys(body.config), BLOCKS, 'blocks in the documented order');
      assert.deepEqual(await c.getConfig(acc, body.keyset.id), body.config);
    }
  });

  test('every enum value is accepted (create and PATCH); a value outside, or of another type → 400 naming the field, nothing written', async () => {
    const acc = await h().account();
    const appId = await c.newApp(acc);
    for (const [block, field, values, refused] of ENUMS) {
      for (const v of values) {
        const k = await c.create(acc, appId, { [block]: { [field]: v } });
        assert.equal((k.config as any)[block][field], v, `${block}.${field} ${v}`);
        assert.deepEqual(await c.getConfig(acc, k.id), k.config);
      }
      const id = await blank(acc, appId);
      const before = await c.getConfig(acc, id);
      const count = await countRows(h().store, 'keysets');
      for (const v of refused) {
        fails(await c.createRaw(acc, appId, { [block]: { [field]: v } }), 400, [`config.${block}.${field} ${expected(values)}`]);
        fails(await c.patch(acc, id, { [block]: { [field]: v } }), 400, [`${block}.${field} ${expected(values)}`]);
      }
      assert.equal(await countRows(h().store, 'keysets'), count);
      assert.deepEqual(await c.getConfig(acc, id), before);
    }
    // Retentions change freely: every value by PATCH on one keyset.
    const id = await blank(acc, appId);
    for (const v of RETENTIONS) {
      const got = ok(await c.patch(acc, id, { files: { retention: v }, messagePersistence: { retention: v } }));
      assert.deepEqual([got.files.retention, got.messagePersistence.retention], [v, v]);
    }
    // A region not yet set can be set by PATCH to any of its values.
    for (const v of FILES_REGIONS) assert.equal(ok(await c.patch(acc, await blank(acc, appId), { files: { region: v } })).files.region, v);
    for (const v of CONTEXT_REGIONS) {
      const got = ok(await c.patch(acc, await blank(acc, appId), { appContext: { region: v }, dataSync: { region: v } }));
      assert.deepEqual([got.appContext.region, got.dataSync.region], [v, v]);
    }
  });

  test('ranges: each bound accepted, one past it refused; integers only; numbers only', async () => {
    const acc = await h().account();
    const appId = await c.newApp(acc);
    const id = await blank(acc, appId);
    for (const [block, field, accepted, refused, messages] of RANGES) {
      for (const v of accepted) {
        const got = ok(await c.patch(acc, id, { [block]: { [field]: v } }));
        assert.equal(got[block][field], v);
        assert.deepEqual(await c.getConfig(acc, id), got);
        assert.equal((await c.create(acc, appId, { [block]: { [field]: v } })).config[block as 'presence'][field as 'interval'], v);
      }
      const before = await c.getConfig(acc, id);
      for (const v of refused) {
        const r = await c.patch(acc, id, { [block]: { [field]: v } });
        assert.equal(r.statusCode, 400, r.body);
        const [message] = r.json().message;
        assert.ok(messages.some((m) => message === `${block}.${field} ${m}`), message);
        fails(await c.createRaw(acc, appId, { [block]: { [field]: v } }), 400, [`config.${message}`]);
      }
      for (const v of [accepted[0]! + 0.5, `${accepted[0]}`, null, true]) {
        fails(await c.patch(acc, id, { [block]: { [field]: v } }), 400, [`${block}.${field} must be an integer`]);
      }
      assert.deepEqual(await c.getConfig(acc, id), before);
    }
  });

  test('types: booleans, nullable booleans, nullable strings (1-255 characters), blocks are objects', async () => {
    const acc = await h().account();
    const appId = await c.newApp(acc);
    const id = await blank(acc, appId);
    const before = await c.getConfig(acc, id);
    for (const [block, field] of BOOLEANS) {
      for (const v of ['true', 1, null, [], {}]) fails(await c.patch(acc, id, { [block]: { [field]: v } }), 400, [`${block}.${field} must be a boolean`]);
    }
    for (const v of ['true', 0, []]) fails(await c.patch(acc, id, { accessManager: { tokenRevoke: v } }), 400, ['accessManager.tokenRevoke must be a boolean or null']);
    for (const [block, field] of TEXTS) {
      for (const v of ['', 'a'.repeat(256), 7, false, ['x']]) {
        fails(await c.patch(acc, id, { [block]: { [field]: v } }), 400, [`${block}.${field} must be a string of 1 to 255 characters, or null`]);
      }
    }
    for (const block of BLOCKS) {
      for (const v of [null, 'on', true, 1, []]) fails(await c.patch(acc, id, { [block]: v }), 400, [`${block} must be a JSON object`]);
    }
    for (const v of [null, 'x', [], 1]) fails(await c.createRaw(acc, appId, v), 400, ['config must be a JSON object']);
    assert.deepEqual(await c.getConfig(acc, id), before);
    // Accepted: every boolean both ways, the nullable fields as values and as null.
    for (const [block, field] of BOOLEANS.filter(([, f]) => f !== 'enabled')) {
      for (const v of [true, false]) assert.equal(ok(await c.patch(acc, id, { [block]: { [field]: v } }))[block][field], v);
    }
    for (const v of [true, false, null]) assert.equal(ok(await c.patch(acc, id, { accessManager: { tokenRevoke: v } })).accessManager.tokenRevoke, v);
    for (const [block, field] of TEXTS) {
      for (const v of ['x', '😀'.repeat(255), 'TEAM-123 ä', null]) assert.equal(ok(await c.patch(acc, id, { [block]: { [field]: v } }))[block][field], v);
    }
    for (const enabled of [true, false]) {
      const got = ok(await c.patch(acc, id, { accessManager: { enabled }, streamController: { enabled }, apns: { enabled }, presence: { enabled } }));
      assert.deepEqual([got.accessManager.enabled, got.streamController.enabled, got.apns.enabled, got.presence.enabled], [enabled, enabled, enabled, enabled]);
    }
    const payload = '{"apns":{"teamId":"a\\u0000b"}}';
    const r = await h().request({ method: 'PATCH', url: configUrl(id), key: acc.key, payload, headers: { 'content-type': 'application/json' } });
    fails(r, 400, ['apns.teamId must be a string of 1 to 255 characters, or null']);
  });

  test('unknown fields, at the top and inside a block, and an empty PATCH → 400 naming them; every problem listed together', async () => {
    const acc = await h().account();
    const appId = await c.newApp(acc);
    const id = await blank(acc, appId);
    const before = await c.getConfig(acc, id);
    const count = await countRows(h().store, 'keysets');
    const cases: [unknown, string[]][] = [
      [{}, ['body must contain at least 1 property']],
      [{ foo: 1 }, ['property foo should not exist']],
      [{ files: { enabled: false, foo: 1 } }, ['property files.foo should not exist']],
      [{ presence: { enableLegacySomething: true } }, ['property presence.enableLegacySomething should not exist']],
      [{ accessManager: { enabled: true }, keyset: { name: 'x' } }, ['property keyset should not exist']],
      [{ files: { retention: 5, region: 'mars-1', x: 1 }, presence: { interval: 1, deltas: 'no' }, fcm: { filename: '' }, extra: {} }, [
        `files.retention ${expected(RETENTIONS)}`, `files.region ${expected(FILES_REGIONS)}`, 'property files.x should not exist',
        'presence.interval must be at least 10', 'presence.deltas must be a boolean',
        'fcm.filename must be a string of 1 to 255 characters, or null', 'property extra should not exist',
      ]],
    ];
    for (const [body, messages] of cases) {
      fails(await c.patch(acc, id, body), 400, messages);
      if (Object.keys(body as object).length > 0) fails(await c.createRaw(acc, appId, body), 400, messages.map((m) => m.replace(/^(property )?/, '$1config.')));
    }
    assert.deepEqual(await c.getConfig(acc, id), before);
    assert.equal(await countRows(h().store, 'keysets'), count);
  });

  test('unknown, deleted or another account\'s keyset → the same 404 on GET and PATCH; a malformed id → 400', async () => {
    const acc = await h().account();
    const other = await h().account();
    const theirs = (await c.create(other, await c.newApp(other), { presence: { deltas: true } })).id;
    const gone = (await c.create(acc, await c.newApp(acc))).id;
    ok(await c.req(acc, 'DELETE', `/v2/keysets/${gone}`));
    const rows = await h().store.db.selectFrom('keyset_configs').select('keyset_id').where('keyset_id', '=', Number(gone)).execute();
    assert.deepEqual(rows, [], 'the config goes with its keyset');
    for (const id of [theirs, gone, String(Number(theirs) + 1_000_000), '999999999999999']) {
      const want = { statusCode: 404, error: 'NotFound', message: [`keyset ${id} not found`] };
      assert.deepEqual((await c.req(acc, 'GET', configUrl(id))).json(), want);
      assert.deepEqual((await c.patch(acc, id, { presence: { deltas: false } })).json(), want);
    }
    assert.deepEqual(await c.getConfig(other, theirs), withConfig({ presence: { deltas: true } }));
    for (const id of ['abc', '-1', '0', '1.5']) {
      fails(await c.req(acc, 'GET', configUrl(id)), 400, /^id /);
      fails(await c.patch(acc, id, { presence: { deltas: false } }), 400, /^id /);
    }
  });

  test('keysets:read reads the config, keysets:write changes it and creates with it (403 otherwise, nothing written)', async () => {
    const acc = await h().account();
    const appId = await c.newApp(acc);
    const { id } = await c.create(acc, appId);
    const keyFor = async (permissions: ('keysets:read' | 'keysets:write' | 'apps:read' | 'oem:write')[]) =>
      (await h().accounts.createApiKey({ accountId: acc.accountId, permissions })).key;
    const read = await keyFor(['keysets:read']);
    const write = await keyFor(['keysets:write']);
    const neither = await keyFor(['apps:read', 'oem:write']);
    const count = await countRows(h().store, 'keysets');
    for (const key of [read, neither]) {
      fails(await c.patch(key, id, { presence: { deltas: true } }), 403, /keysets:write/);
      fails(await c.req(key, 'POST', '/v2/keysets', { keyset: { name: 'K', appId, type: 'testing' }, config: {} }), 403, /keysets:write/);
    }
    for (const key of [write, neither]) fails(await c.req(key, 'GET', configUrl(id)), 403, /keysets:read/);
    assert.equal(await countRows(h().store, 'keysets'), count);
    assert.deepEqual(ok(await c.req(read, 'GET', configUrl(id))), DEFAULT_CONFIG);
    assert.deepEqual(ok(await c.patch(write, id, { presence: { deltas: true } })), withConfig({ presence: { deltas: true } }));
    fails(await c.req('oem_not_a_key_at_all_xxxxxxxx', 'GET', configUrl(id)), 401, /.+/);
  });

  test('every known version (2026-03-23 included) serves create-with-config, GET and PATCH config, echoed, with PubNub\'s headers', async () => {
    const acc = await h().account({ oem: false });
    const bearer = `Bearer ${acc.key}`;
    const appId = await c.newApp(acc);
    for (const v of VERSIONS) {
      const created = await c.req(bearer, 'POST', '/v2/keysets', { keyset: { name: v, appId, type: 'testing' }, config: { presence: { announceMax: 3 } } }, v);
      const id = ok(created, 201).keyset.id;
      const get = await h().request({ method: 'GET', url: configUrl(id), key: bearer, version: v, headers: { 'content-type': 'application/json' } });
      const patched = await c.patch(bearer, id, { presence: { announceMax: 4 } }, v);
      assert.deepEqual([ok(get), ok(patched)], [withConfig({ presence: { announceMax: 3 } }), withConfig({ presence: { announceMax: 4 } })]);
      for (const r of [created, get, patched]) assert.equal(r.headers['pubnub-version'], v);
    }
    const { id } = await c.create(acc, appId);
    fails(await c.req(acc, 'GET', configUrl(id), undefined, '2025-11-14'), 400, /known versions/);
    fails(await c.patch(acc, id, { presence: { deltas: true } }, '2026-13-01'), 400, /PubNub-Version/);
  });

  test('the OpenAPI document shows the config schema: every block closed, enums and ranges, on create, GET and PATCH', async () => {
    const doc = ok(await h().request({ method: 'GET', url: '/openapi.json' }));
    const path = doc.paths['/v2/keysets/{id}/config'];
    assert.ok(path.get && path.patch);
    const resolve = (s: any): any => (s?.$ref ? resolve(s.$ref.split('/').slice(1).reduce((o: any, k: string) => o[k], doc)) : s);
    const response = resolve(path.get.responses['200'].content['application/json'].schema);
    assert.deepEqual(Object.keys(response.properties), BLOCKS);
    assert.equal(response.additionalProperties, false);
    for (const block of BLOCKS) {
      assert.equal(resolve(response.properties[block]).additionalProperties, false, block);
      assert.deepEqual(Object.keys(resolve(response.properties[block]).properties), Object.keys(DEFAULT_CONFIG[block]), block);
    }
    const text = JSON.stringify(doc);
    for (const v of [...FILES_REGIONS, ...CONTEXT_REGIONS]) assert.ok(text.includes(`"${v}"`), v);
    const patchBody = resolve(path.patch.requestBody.content['application/json'].schema);
    assert.equal(patchBody.minProperties, 1);
    assert.equal(resolve(patchBody.properties.streamController).properties.channelGroupLimit.maximum, 2000);
    const create = resolve(doc.paths['/v2/keysets'].post.requestBody.content['application/json'].schema);
    assert.ok(create.properties.config);
    assert.ok(resolve(doc.paths['/v2/keysets'].post.responses['201'].content['application/json'].schema).properties.config);
  });
});
