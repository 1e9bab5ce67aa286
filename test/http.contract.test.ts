// CONTRACT §1–2 on every request: auth, version header, content type, size, errors, request ids.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countRows, describeEachStore } from './helpers/harness.js';

const URL = '/v2/oem/customers';
const body = { externalId: 'e1', name: 'n' };
const KNOWN = '2025-11-15, 2026-02-09, 2026-03-01, 2026-03-23, 2026-08-24, 2026-09-03';

describeEachStore('HTTP contract', (h) => {
  test('the key is accepted raw and as Bearer (any case)', async () => {
    const acc = await h().account();
    for (const [i, authorization] of [acc.key, `Bearer ${acc.key}`, `bearer ${acc.key}`, `  Bearer   ${acc.key} `].entries()) {
      const r = await h().request({ method: 'POST', url: URL, body: { externalId: `b${i}`, name: 'n' }, headers: { authorization } });
      assert.equal(r.statusCode, 200, `${i}: ${r.body}`);
    }
  });

  test('missing, unknown, revoked and expired keys → 401 in the envelope', async () => {
    const acc = await h().account();
    const expired = await h().account({ expiresInMs: 1 });
    h().clock.advance(0);
    await new Promise((r) => setTimeout(r, 5));
    const revoked = await h().account();
    const keys = await h().accounts.listApiKeys(revoked.accountId);
    await h().accounts.revokeApiKey(keys[0]!.id);
    const cases: [string | undefined, string][] = [
      [undefined, 'missing API key: send it in the Authorization header'],
      ['', 'missing API key: send it in the Authorization header'],
      ['Bearer ', 'missing API key: send it in the Authorization header'],
      [acc.key + 'x', 'invalid API key'],
      ['oem_nope', 'invalid API key'],
      [revoked.key, 'this API key has been revoked'],
      [expired.key, 'this API key has expired'],
    ];
    for (const [authorization, message] of cases) {
      const r = await h().request({ method: 'POST', url: URL, body, headers: { authorization } });
      assert.equal(r.statusCode, 401, String(authorization));
      assert.deepEqual(r.json(), { statusCode: 401, error: 'Unauthorized', message: [message] });
    }
  });

  test('401 comes before every 400, 403, 413 and 415', async () => {
    const r1 = await h().request({ method: 'POST', url: URL, payload: '{bad json', headers: { 'content-type': 'application/json', 'pubnub-version': 'nope' } });
    assert.equal(r1.statusCode, 401);
    const r2 = await h().request({ method: 'POST', url: URL, payload: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(r2.statusCode, 401);
  });

  test('PubNub-Version: missing, malformed, unknown → 400 listing the known versions', async () => {
    const acc = await h().account();
    const cases: [string | undefined, string][] = [
      [undefined, `PubNub-Version header is required; known versions: ${KNOWN}`],
      ['', `PubNub-Version header is required; known versions: ${KNOWN}`],
      ['2026-2-9', `PubNub-Version must be a date in YYYY-MM-DD form; known versions: ${KNOWN}`],
      ['latest', `PubNub-Version must be a date in YYYY-MM-DD form; known versions: ${KNOWN}`],
      ['2026-02-10', `PubNub-Version 2026-02-10 is not a known version; known versions: ${KNOWN}`],
    ];
    for (const [version, message] of cases) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, body, headers: { 'pubnub-version': version } });
      assert.equal(r.statusCode, 400, String(version));
      assert.deepEqual(r.json().message, [message]);
    }
  });

  test('a version before the route\'s own → 400 naming the version that introduced it', async () => {
    const acc = await h().account();
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body, version: '2025-11-15' });
    assert.equal(r.statusCode, 400);
    assert.deepEqual(r.json().message, ['POST /v2/oem/customers was introduced in PubNub-Version 2026-02-09; the request asked for 2025-11-15']);
  });

  test('every known version from the route\'s own on is served, and echoed back', async () => {
    const acc = await h().account();
    for (const [i, version] of ['2026-02-09', '2026-03-01', '2026-03-23', '2026-08-24', '2026-09-03'].entries()) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: `v${i}`, name: 'n' }, version });
      assert.equal(r.statusCode, 200, version);
      assert.equal(r.headers['pubnub-version'], version);
    }
  });

  test('403 when the key lacks the permission, or the account is not an OEM partner', async () => {
    const readOnly = await h().account({ permissions: ['oem:read'] });
    const r1 = await h().request({ method: 'POST', url: URL, key: readOnly.key, body });
    assert.equal(r1.statusCode, 403);
    assert.deepEqual(r1.json(), { statusCode: 403, error: 'Forbidden', message: ['this API key lacks the oem:write permission'] });
    const notOem = await h().account({ oem: false });
    const r2 = await h().request({ method: 'POST', url: URL, key: notOem.key, body });
    assert.equal(r2.statusCode, 403);
    assert.deepEqual(r2.json().message, ['this account is not enrolled as an OEM partner']);
    // A non-OEM account still manages its apps.
    const r3 = await h().request({ method: 'POST', url: '/v2/apps', key: notOem.key, body: { name: 'a' } });
    assert.equal(r3.statusCode, 201);
  });

  test('403 comes before body validation', async () => {
    const readOnly = await h().account({ permissions: ['oem:read'] });
    const r = await h().request({ method: 'POST', url: URL, key: readOnly.key, payload: '{bad', headers: { 'content-type': 'application/json' } });
    assert.equal(r.statusCode, 403);
  });

  test('a body that is not JSON → 415, with or without a charset; JSON with a charset is fine', async () => {
    const acc = await h().account();
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, payload: JSON.stringify(body), headers: { 'content-type': ct } });
      assert.equal(r.statusCode, 415, ct);
      assert.equal(r.json().error, 'UnsupportedMediaType');
    }
    const ok = await h().request({ method: 'POST', url: URL, key: acc.key, payload: JSON.stringify({ externalId: 'cs', name: 'n' }), headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('a body without a Content-Type → 415', async () => {
    const acc = await h().account();
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, payload: JSON.stringify(body), headers: { 'content-type': undefined } });
    assert.equal(r.statusCode, 415, r.body);
  });

  test('bodiless GET and DELETE may carry Content-Type: application/json (or anything else)', async () => {
    const acc = await h().account();
    const created = await h().request({ method: 'POST', url: '/v2/apps', key: acc.key, body: { name: 'a' } });
    const id = created.json().id;
    for (const ct of ['application/json', 'text/plain']) {
      const g = await h().request({ method: 'GET', url: `/v2/apps/${id}`, key: acc.key, headers: { 'content-type': ct } });
      assert.equal(g.statusCode, 200, `${ct}: ${g.body}`);
    }
    const d = await h().request({ method: 'DELETE', url: `/v2/apps/${id}`, key: acc.key, headers: { 'content-type': 'application/json' } });
    assert.equal(d.statusCode, 200, d.body);
    assert.deepEqual(d.json(), { success: true });
  });

  test('malformed JSON → 400 in the envelope, nothing written', async () => {
    const acc = await h().account();
    const before = await countRows(h().store, 'customers');
    for (const payload of ['{bad', '{"externalId": "x",}', '{"__proto__": {"x": 1}, "externalId": "p", "name": "n"}']) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, payload, headers: { 'content-type': 'application/json' } });
      assert.equal(r.statusCode, 400, payload);
      assert.equal(r.json().error, 'BadRequest');
      assert.equal(r.json().message.length, 1);
    }
    assert.equal(await countRows(h().store, 'customers'), before);
  });

  test('unknown routes and methods → 404 in the envelope', async () => {
    for (const [method, url] of [['GET', '/nope'], ['GET', '/v2/oem/nothing'], ['PUT', '/v2/apps'], ['GET', '/']] as const) {
      const r = await h().request({ method, url });
      assert.equal(r.statusCode, 404, url);
      assert.deepEqual(r.json(), { statusCode: 404, error: 'NotFound', message: [`Route ${method} ${url} not found`] });
    }
  });

  test('every response carries a Request-Id, different each time', async () => {
    const ids = new Set<string>();
    for (const url of ['/healthz', '/nope', URL]) {
      const r = await h().request({ method: url === URL ? 'POST' : 'GET', url });
      assert.match(String(r.headers['request-id']), /^[0-9a-f-]{36}$/);
      ids.add(String(r.headers['request-id']));
    }
    assert.equal(ids.size, 3);
  });
}, { bodyLimit: 1024 * 1024 });

describeEachStore('body limit', (h) => {
  test('a body over the limit → 413, nothing written', async () => {
    const acc = await h().account();
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'big', name: 'x'.repeat(3000) } });
    assert.equal(r.statusCode, 413);
    assert.equal(r.json().error, 'PayloadTooLarge');
    assert.equal(await countRows(h().store, 'customers'), 0);
    const small = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'small', name: 'x' } });
    assert.equal(small.statusCode, 200);
  });
}, { bodyLimit: 2048 });
