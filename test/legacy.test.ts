// PubNub's older session API (CONTRACT §7): POST /api/me and the OEM routes under /api/oem,
// authorised by x-session-token with the user's account and full OEM permissions.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { UsersService } from '../src/users/users.service.js';
import { fails, ok } from './helpers/assertions.js';
import { describeEachStore, type Harness } from './helpers/harness.js';

const PASSWORD = 'correct horse battery';

describeEachStore('legacy session API', (h) => {
  const users = () => new UsersService(h().store, h().clock);
  let n = 0;
  async function user(opts: { oem?: boolean } = {}) {
    const acc = await h().account(opts);
    const email = `user${++n}-${acc.accountId}@example.com`;
    await users().createUser({ accountId: acc.accountId, email, password: PASSWORD });
    return { ...acc, email };
  }
  const login = (email: string, password: string) => h().request({ method: 'POST', url: '/api/me', body: { email, password }, headers: { 'pubnub-version': undefined } });
  const legacy = (harness: Harness, token: string | undefined, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    harness.request({ method, url, body, headers: { 'x-session-token': token, 'pubnub-version': undefined } });
  const tokenOf = async (email: string, password = PASSWORD) => ok(await login(email, password)).result.token as string;

  test('POST /api/me answers a session token for 24 hours', async () => {
    const u = await user();
    h().clock.freeze('2026-05-01T10:00:00.000Z');
    try {
      const r = ok(await login(u.email.toUpperCase(), PASSWORD));
      assert.deepEqual(Object.keys(r.result).sort(), ['expires', 'token', 'user_id']);
      assert.match(r.result.token, /^oems_[A-Za-z0-9_-]{43}$/);
      assert.equal(typeof r.result.user_id, 'number');
      assert.equal(r.result.expires, '2026-05-02T10:00:00.000Z');
      const stored = await h().store.db.selectFrom('sessions').selectAll().execute();
      assert.ok(stored.every((s) => s.token_hash !== r.result.token && /^[0-9a-f]{64}$/.test(s.token_hash)));
    } finally {
      h().clock.freeze(new Date());
    }
  });

  test('wrong email and wrong password: the same 401, in about the same time', async () => {
    const u = await user();
    const badPassword = await login(u.email, 'wrong password');
    const badEmail = await login(`nobody-${n}@example.com`, PASSWORD);
    fails(badPassword, 401, ['invalid email or password']);
    assert.equal(badEmail.body, badPassword.body);
    // Both paths run scrypt: an unknown email is checked against a decoy hash. Without it the
    // unknown email would answer ~50× faster; the bound is loose so a noisy machine cannot trip it.
    const time = async (email: string, password: string) => {
      const t = performance.now();
      for (let i = 0; i < 4; i++) await login(email, password);
      return performance.now() - t;
    };
    const [unknownEmail, wrongPassword] = [await time(`nobody@example.com`, 'x'), await time(u.email, 'wrong password')];
    assert.ok(unknownEmail > wrongPassword / 4, `unknown email ${unknownEmail} ms vs wrong password ${wrongPassword} ms`);
  });

  test('/api/me validates its body', async () => {
    fails(await h().request({ method: 'POST', url: '/api/me', body: {} }), 400, ['email is required', 'password is required'], true);
    fails(await h().request({ method: 'POST', url: '/api/me', body: { email: 'a@b.c', password: 'p', remember: true } }), 400, ['property remember should not exist']);
  });

  test('the session token authorises the OEM routes under /api/oem, without a version header', async () => {
    const u = await user();
    const token = await tokenOf(u.email);
    const { keysetIds } = await h().keysets(u, 2);
    const created = ok(await legacy(h(), token, 'POST', '/api/oem/customers', { externalId: 'legacy-1', name: 'Legacy', keysetIds: [keysetIds[0]] }));
    const id = created.result.id;
    assert.equal(ok(await legacy(h(), token, 'GET', `/api/oem/customers/${id}`)).result.externalId, 'legacy-1');
    assert.equal(ok(await legacy(h(), token, 'POST', `/api/oem/customers/${id}/keysets`, { keysetIds: [keysetIds[1]] })).result.keysets.length, 2);
    assert.deepEqual(ok(await legacy(h(), token, 'GET', '/api/oem/customers')).result.map((c: { id: string }) => c.id), [id]);
    assert.equal(ok(await legacy(h(), token, 'PUT', `/api/oem/customers/${id}`, { name: 'Renamed' })).result.name, 'Renamed');
    // The very same handlers: the same validation sentences as under /v2.
    const bad = { externalId: 'bad id', name: '' };
    const v2 = await h().request({ method: 'POST', url: '/v2/oem/customers', key: u.key, body: bad });
    const api = await legacy(h(), token, 'POST', '/api/oem/customers', bad);
    assert.equal(api.statusCode, 400);
    assert.deepEqual(api.json(), v2.json());
    assert.deepEqual(ok(await legacy(h(), token, 'DELETE', `/api/oem/customers/${id}`)), { success: true });
  });

  test('access tokens are issued under /api/oem too', async () => {
    const u = await user();
    const token = await tokenOf(u.email);
    const { appId, keysetIds } = await h().keysets(u, 1);
    ok(await legacy(h(), token, 'POST', '/api/oem/customers', { externalId: 'tok', name: 'T', keysetIds }));
    const r = ok(await legacy(h(), token, 'POST', '/api/oem/access-token', { externalId: 'tok', appId, customerUserId: 'u1', permissions: ['dashboard:read'] }));
    assert.match(r.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  test('the session sees only its own account', async () => {
    const u = await user();
    const other = await user();
    const theirs = ok(await h().request({ method: 'POST', url: '/v2/oem/customers', key: other.key, body: { externalId: 'theirs', name: 'T' } }));
    const token = await tokenOf(u.email);
    fails(await legacy(h(), token, 'GET', `/api/oem/customers/${theirs.result.id}`), 404, [`customer ${theirs.result.id} not found`]);
    assert.deepEqual(ok(await legacy(h(), token, 'GET', '/api/oem/customers')).result, []);
  });

  test('no token, an unknown token, an API key, or a session token on /v2 → 401', async () => {
    const u = await user();
    const token = await tokenOf(u.email);
    fails(await legacy(h(), undefined, 'GET', '/api/oem/customers'), 401, ['missing session token: send it in the x-session-token header']);
    fails(await legacy(h(), 'oems_unknown', 'GET', '/api/oem/customers'), 401, ['invalid or expired session token']);
    fails(await h().request({ method: 'GET', url: '/api/oem/customers', key: u.key, headers: { 'pubnub-version': undefined } }), 401, /missing session token/);
    fails(await h().request({ method: 'GET', url: '/v2/oem/customers', headers: { 'x-session-token': token } }), 401, /missing API key/);
  });

  test('a session ends after 24 hours', async () => {
    const u = await user();
    const token = await tokenOf(u.email);
    ok(await legacy(h(), token, 'GET', '/api/oem/customers'));
    h().clock.advance(24 * 60 * 60 * 1000);
    try {
      fails(await legacy(h(), token, 'GET', '/api/oem/customers'), 401, ['invalid or expired session token']);
    } finally {
      h().clock.advance(-24 * 60 * 60 * 1000);
    }
  });

  test('a password change ends the user\'s sessions; the old password stops working', async () => {
    const u = await user();
    const token = await tokenOf(u.email);
    await users().setPassword({ email: u.email, password: 'a brand new password' });
    fails(await legacy(h(), token, 'GET', '/api/oem/customers'), 401, ['invalid or expired session token']);
    fails(await login(u.email, PASSWORD), 401, ['invalid email or password']);
    ok(await legacy(h(), await tokenOf(u.email, 'a brand new password'), 'GET', '/api/oem/customers'));
  });

  test('a login racing a password change cannot outlive it', async () => {
    const u = await user();
    const logins = Array.from({ length: 12 }, (_, i) => new Promise((r) => setTimeout(r, i * 3)).then(() => users().login(u.email, PASSWORD).catch(() => undefined)));
    await users().setPassword({ email: u.email, password: 'changed while logging in' });
    for (const session of await Promise.all(logins)) {
      if (session) fails(await legacy(h(), session.token, 'GET', '/api/oem/customers'), 401, ['invalid or expired session token']);
    }
  });

  test('a user of an account that is not an OEM partner gets 403', async () => {
    const u = await user({ oem: false });
    fails(await legacy(h(), await tokenOf(u.email), 'GET', '/api/oem/customers'), 403, ['this account is not enrolled as an OEM partner']);
  });

  test('passwords are stored as salted scrypt hashes; emails are unique, case-insensitively', async () => {
    const u = await user();
    const row = await h().store.db.selectFrom('users').selectAll().where('email', '=', u.email).executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.ok(!row.password_hash.includes(PASSWORD));
    await assert.rejects(users().createUser({ accountId: u.accountId, email: u.email.toUpperCase(), password: PASSWORD }), /already exists/);
    const other = await user();
    const otherRow = await h().store.db.selectFrom('users').select('password_hash').where('email', '=', other.email).executeTakeFirstOrThrow();
    assert.notEqual(otherRow.password_hash.split('$')[4], row.password_hash.split('$')[4]); // per-user salt
  });
});
