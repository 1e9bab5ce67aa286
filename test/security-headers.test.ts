// Security headers on every response: successes, 4xx from hooks and validation, 404s, errors
// raised before routing, 5xx, and the 429 of the rate limiter. /docs has its own CSP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.js';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { PERMISSIONS } from '../src/accounts/permissions.js';
import { SECURITY_HEADERS } from '../src/http/security-headers.js';
import { describeEachStore, freshStore, TestClock } from './helpers/harness.js';

const JSON_CSP = /^default-src 'none'; ?frame-ancestors 'none'$/;

function secure(r: LightMyRequestResponse, what: string, csp: RegExp = JSON_CSP) {
  assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(r.headers['x-frame-options'], 'DENY', what);
  assert.equal(r.headers['referrer-policy'], 'no-referrer', what);
  assert.match(String(r.headers['content-security-policy']), csp, what);
}

describeEachStore('security headers', (h) => {
  test('on successes, 4xx, 404s and errors raised before routing; no-store on the API', async () => {
    const acc = await h().account();
    const v = { 'pubnub-version': '2026-02-09' };
    const cases: [string, Promise<LightMyRequestResponse>, number][] = [
      ['200 /v2', h().app.inject({ url: '/v2/apps', headers: { authorization: acc.key, ...v } }), 200],
      ['401', h().app.inject({ url: '/v2/apps', headers: v }), 401],
      ['400 version', h().app.inject({ url: '/v2/apps', headers: { authorization: acc.key, 'pubnub-version': 'nope' } }), 400],
      ['400 body', h().app.inject({ method: 'POST', url: '/v2/apps', payload: { name: 7 }, headers: { authorization: acc.key, ...v } }), 400],
      ['404 route', h().app.inject({ url: '/v2/nothing-here' }), 404],
      ['404 entity', h().app.inject({ url: '/v2/apps/999999', headers: { authorization: acc.key, ...v } }), 404],
      ['400 malformed URL', h().app.inject({ url: '/v2/oem/customers/%zz', headers: { authorization: acc.key, ...v } }), 400],
      ['414 long parameter', h().app.inject({ url: `/v2/apps/${'9'.repeat(600)}`, headers: { authorization: acc.key, ...v } }), 414],
      ['401 /api login refused', h().app.inject({ method: 'POST', url: '/api/me', payload: { email: 'a@b.c', password: 'x' } }), 401],
      ['200 /healthz', h().app.inject({ url: '/healthz' }), 200],
    ];
    for (const [what, pending, status] of cases) {
      const r = await pending;
      assert.equal(r.statusCode, status, `${what}: ${r.body}`);
      secure(r, what);
      assert.equal(r.headers['cache-control'], 'no-store', what);
      // The whole fixed set (what @fastify/helmet used to set, see src/http/security-headers.ts).
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(r.headers[name.toLowerCase()], value, `${what}: ${name}`);
    }
  });

  test('the JWKS keeps its own Cache-Control; /docs has a policy swagger-ui can work with', async () => {
    const jwks = await h().app.inject({ url: '/.well-known/jwks.json' });
    secure(jwks, 'jwks');
    assert.match(String(jwks.headers['cache-control']), /max-age/);
    for (const url of ['/docs', '/docs/static/swagger-initializer.js']) {
      const docs = await h().app.inject({ url });
      assert.equal(docs.statusCode, 200, url);
      secure(docs, url, /^default-src 'self';.*frame-ancestors 'none'.*script-src 'self'/);
    }
  });
});

test('5xx responses carry the headers too', async () => {
  const handle = await freshStore('sqlite');
  const clock = new TestClock();
  const app = await buildApp({ config: { bodyLimit: 1024 }, store: handle.store, clock });
  try {
    const accounts = new AccountsService(handle.store.db, clock);
    const account = await accounts.createAccount({ name: 'p', oemEnabled: true });
    const { key } = await accounts.createApiKey({ accountId: account.id, permissions: [...PERMISSIONS] });
    await handle.store.close(); // every query now fails
    const r = await app.inject({ url: '/v2/apps', headers: { authorization: key, 'pubnub-version': '2026-02-09' } });
    assert.equal(r.statusCode, 500, r.body);
    assert.equal(r.json().error, 'InternalError');
    secure(r, '500');
    const ready = await app.inject({ url: '/readyz' });
    assert.ok(ready.statusCode >= 500, ready.body);
    secure(ready, 'readyz down');
  } finally {
    await app.close();
    await handle.destroy().catch(() => {});
  }
});
