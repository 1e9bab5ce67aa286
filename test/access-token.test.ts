// POST /v2/oem/access-token: every rule of CONTRACT §4.11 (body, 404/400, claims, access), on each store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildApp } from '../src/app.js';
import { lifetimeSeconds, TokensService } from '../src/tokens/tokens.service.js';
import { SigningKeys } from '../src/tokens/signing-keys.js';
import { TOKEN_PERMISSIONS } from '../src/tokens/tokens.schemas.js';
import { fails, ok } from './helpers/assertions.js';
import { describeEachStore, type Harness, type TestAccount } from './helpers/harness.js';
import { decodeJwt, verifiesWith } from './helpers/jwt.js';

const URL = '/v2/oem/access-token';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PATTERN = 'expiresIn must match pattern ^\\d+[mhd]$';
const RANGE = 'expiresIn must be from 1 minute to 24 hours (1m to 1440m, 1h to 24h, or 1d)';

/** A customer holding keysets in two apps, plus a keyset of app A it does not hold. */
async function setup(h: Harness, acc: TestAccount, externalId = 'acme-42') {
  const a = await h.keysets(acc, 3);
  const b = await h.keysets(acc, 2);
  const held = [a.keysetIds[2]!, b.keysetIds[0]!, a.keysetIds[0]!];
  const r = await h.request({ method: 'POST', url: '/v2/oem/customers', key: acc.key, body: { externalId, name: 'Acme', keysetIds: held } });
  const customerId: string = ok(r).result.id;
  return { customerId, externalId, appA: a.appId, appB: b.appId, heldInA: [a.keysetIds[0]!, a.keysetIds[2]!], heldInB: [b.keysetIds[0]!] };
}

function body(over: Record<string, unknown> = {}) {
  return { permissions: ['dashboard:read'], externalId: 'acme-42', customerUserId: 'user-1', appId: 1, ...over };
}

describeEachStore('access token', (h) => {
  const issue = (acc: TestAccount, b: unknown, version?: string) => h().request({ method: 'POST', url: URL, key: acc.key, body: b, ...(version ? { version } : {}) });

  test('answers { accessToken } with exactly the contract\'s claims, signed ES256 with a kid', async () => {
    const acc = await h().account();
    const c = await setup(h(), acc);
    const before = Math.floor(Date.now() / 1000);
    const r = await issue(acc, { permissions: ['metric:read', 'dashboard:read', 'metric:read'], externalId: c.externalId, customerUserId: 'user-7', appId: c.appA });
    const after = Math.floor(Date.now() / 1000);
    const json = ok(r);
    assert.deepEqual(Object.keys(json), ['accessToken']);
    const { header, payload } = decodeJwt(json.accessToken);
    assert.deepEqual(Object.keys(header).sort(), ['alg', 'kid', 'typ']);
    assert.equal(header.alg, 'ES256');
    assert.match(String(header.kid), /^[A-Za-z0-9_-]{43}$/);
    assert.ok(payload.iat >= before && payload.iat <= after, `iat ${payload.iat}`);
    assert.match(payload.jti, UUID);
    assert.deepEqual(payload, {
      iss: 'oem-customer-server',
      sub: 'user-7',
      iat: payload.iat,
      exp: payload.iat + 3600,
      jti: payload.jti,
      accountId: acc.accountId,
      customerId: c.customerId,
      externalId: c.externalId,
      appId: c.appA,
      keysetIds: c.heldInA, // ascending, and only those in the requested app
      permissions: ['metric:read', 'dashboard:read'], // repeats count once, order kept
    });
    const inB = decodeJwt(ok(await issue(acc, body({ externalId: c.externalId, appId: c.appB }))).accessToken).payload;
    assert.deepEqual([inB.appId, inB.keysetIds], [c.appB, c.heldInB]);
  });

  test('each token has its own jti; iat and exp follow the injected clock', async () => {
    const acc = await h().account();
    const c = await setup(h(), acc);
    const one = decodeJwt(ok(await issue(acc, body({ appId: c.appA }))).accessToken).payload;
    const two = decodeJwt(ok(await issue(acc, body({ appId: c.appA }))).accessToken).payload;
    assert.notEqual(one.jti, two.jti);
    h().clock.advance(5 * 3600_000);
    try {
      const later = decodeJwt(ok(await issue(acc, body({ appId: c.appA }))).accessToken).payload;
      assert.ok(Math.abs(later.iat - (two.iat + 5 * 3600)) <= 2, `iat ${later.iat} vs ${two.iat}`);
    } finally {
      h().clock.advance(-5 * 3600_000);
    }
  });

  test('a token verifies against the served JWKS with node:crypto; a tampered one does not', async () => {
    const acc = await h().account();
    const c = await setup(h(), acc);
    const token: string = ok(await issue(acc, body({ appId: c.appA }))).accessToken;
    const jwks = ok(await h().request({ method: 'GET', url: '/.well-known/jwks.json', headers: { 'pubnub-version': undefined } }));
    assert.ok(verifiesWith(token, jwks));
    const [hd, , sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(token).payload, permissions: TOKEN_PERMISSIONS })).toString('base64url');
    assert.equal(verifiesWith(`${hd}.${forged}.${sig}`, jwks), false);
  });

  test('every listed permission is accepted, alone and all together', async () => {
    const acc = await h().account();
    const c = await setup(h(), acc);
    assert.equal(TOKEN_PERMISSIONS.length, 16);
    for (const p of TOKEN_PERMISSIONS) {
      assert.deepEqual(decodeJwt(ok(await issue(acc, body({ appId: c.appA, permissions: [p] }))).accessToken).payload.permissions, [p]);
    }
    const all = decodeJwt(ok(await issue(acc, body({ appId: c.appA, permissions: [...TOKEN_PERMISSIONS].reverse() }))).accessToken).payload;
    assert.deepEqual(all.permissions, [...TOKEN_PERMISSIONS].reverse());
  });

  test('permissions: required, a non-empty array of the listed values', async () => {
    const acc = await h().account();
    const oneOf = `must be one of: ${TOKEN_PERMISSIONS.join(', ')}`;
    const cases: [unknown, string[]][] = [
      [[], ['permissions must contain at least 1 item']],
      [['dashboard:read', 'dashboard:delete'], [`permissions[1] ${oneOf}`]],
      [['oem:write', 'metric:read', ''], [`permissions[0] ${oneOf}`, `permissions[2] ${oneOf}`]],
      [['Dashboard:read'], [`permissions[0] ${oneOf}`]],
      [[7], ['permissions[0] must be a string', `permissions[0] ${oneOf}`]],
      ['dashboard:read', ['permissions must be an array']],
    ];
    for (const [permissions, messages] of cases) fails(await issue(acc, body({ permissions })), 400, messages);
    const { permissions: _, ...without } = body();
    fails(await issue(acc, without), 400, ['permissions is required']);
  });

  test('expiresIn: 1 minute to 24 hours in m, h or d; 1h by default', async () => {
    const acc = await h().account();
    const c = await setup(h(), acc);
    const lifetime = async (expiresIn?: string) => {
      const { payload } = decodeJwt(ok(await issue(acc, body({ appId: c.appA, ...(expiresIn === undefined ? {} : { expiresIn }) }))).accessToken);
      return payload.exp - payload.iat;
    };
    assert.equal(await lifetime(), 3600);
    const accepted: [string, number][] = [['1m', 60], ['24h', 86400], ['1d', 86400], ['1440m', 86400], ['90m', 5400], ['1h', 3600], ['23h', 82800], ['059m', 3540]];
    for (const [expiresIn, seconds] of accepted) assert.equal(await lifetime(expiresIn), seconds, expiresIn);
    const refused: [unknown, string][] = [
      ['0m', RANGE], ['0h', RANGE], ['0d', RANGE], ['25h', RANGE], ['1441m', RANGE], ['2d', RANGE], ['99999999999999999999m', RANGE],
      ['59s', PATTERN], ['abc', PATTERN], ['', PATTERN], ['1H', PATTERN], [' 1h', PATTERN], ['1.5h', PATTERN], ['-1h', PATTERN], ['h', PATTERN],
      [60, 'expiresIn must be a string'], [null, 'expiresIn must be a string'],
    ];
    for (const [expiresIn, message] of refused) fails(await issue(acc, body({ appId: c.appA, expiresIn })), 400, [message]);
  });

  test('the service refuses the same expiresIn values on its own', () => {
    assert.equal(lifetimeSeconds('1m'), 60);
    assert.equal(lifetimeSeconds('1d'), 86400);
    for (const [value, message] of [['59s', PATTERN], ['0m', RANGE], ['25h', RANGE], ['1441m', RANGE]] as const) {
      assert.throws(() => lifetimeSeconds(value), (e: any) => e.status === 400 && e.messages[0] === message, value);
    }
  });

  test('externalId: the rules of customer create', async () => {
    const acc = await h().account();
    const pattern = 'externalId must match pattern ^[a-zA-Z0-9_-]+$';
    const cases: [unknown, string[]][] = [
      ['', ['externalId must be at least 1 character long', pattern]],
      ['x'.repeat(256), ['externalId must be at most 255 characters long']],
      ['has space', [pattern]],
      ['dot.ted', [pattern]],
      ['ümlaut', [pattern]],
      [42, ['externalId must be a string']],
    ];
    for (const [externalId, messages] of cases) fails(await issue(acc, body({ externalId })), 400, messages);
    const { externalId: _, ...without } = body();
    fails(await issue(acc, without), 400, ['externalId is required']);
  });

  test('customerUserId: 1 to 255 code points, becomes sub exactly', async () => {
    const acc = await h().account();
    const c = await setup(h(), acc);
    for (const sub of ['😀'.repeat(255), 'a', '  user@example.com  ', 'ユーザー']) {
      assert.equal(decodeJwt(ok(await issue(acc, body({ appId: c.appA, customerUserId: sub }))).accessToken).payload.sub, sub);
    }
    const cases: [unknown, string][] = [
      ['', 'customerUserId must be at least 1 character long'],
      ['😀'.repeat(256), 'customerUserId must be at most 255 characters long'],
      ['a\u0000b', 'customerUserId must not contain NUL characters or unpaired UTF-16 surrogates'],
      [12, 'customerUserId must be a string'],
    ];
    for (const [customerUserId, message] of cases) fails(await issue(acc, body({ customerUserId })), 400, [message]);
    const { customerUserId: _, ...without } = body();
    fails(await issue(acc, without), 400, ['customerUserId is required']);
  });

  test('appId: a positive safe integer, as a JSON number', async () => {
    const acc = await h().account();
    const cases: [unknown, string][] = [
      ['1', 'appId must be an integer'],
      [0, 'appId must be at least 1'],
      [1.5, 'appId must be an integer'],
      [2 ** 53, `appId must be at most ${Number.MAX_SAFE_INTEGER}`],
      [null, 'appId must be an integer'],
    ];
    for (const [appId, message] of cases) fails(await issue(acc, body({ appId })), 400, [message]);
    const { appId: _, ...without } = body();
    fails(await issue(acc, without), 400, ['appId is required']);
  });

  test('every schema problem is listed together, unknown properties included', async () => {
    const acc = await h().account();
    fails(await issue(acc, { permissions: [], expiresIn: '25h', externalId: 'bad id', customerUserId: '', appId: 0, scope: 'x' }), 400, [
      'property scope should not exist', 'permissions must contain at least 1 item', RANGE,
      'externalId must match pattern ^[a-zA-Z0-9_-]+$', 'customerUserId must be at least 1 character long', 'appId must be at least 1',
    ], true);
    fails(await issue(acc, {}), 400, ['permissions is required', 'externalId is required', 'customerUserId is required', 'appId is required'], true);
    fails(await issue(acc, []), 400, ['body must be a JSON object']);
  });

  test('an unknown externalId, or another account\'s, is a 404', async () => {
    const acc = await h().account();
    const other = await h().account();
    const theirs = await setup(h(), other, 'theirs');
    fails(await issue(acc, body({ externalId: 'nobody', appId: theirs.appA })), 404, ['customer with externalId nobody not found']);
    fails(await issue(acc, body({ externalId: 'theirs', appId: theirs.appA })), 404, ['customer with externalId theirs not found']);
    // The same externalId in two accounts: each key reaches its own customer.
    const mine = await setup(h(), acc, 'shared');
    await setup(h(), other, 'shared');
    const p = decodeJwt(ok(await issue(acc, body({ externalId: 'shared', appId: mine.appA }))).accessToken).payload;
    assert.deepEqual([p.accountId, p.customerId], [acc.accountId, mine.customerId]);
  });

  test('an app where the customer holds no keyset is a 400 naming appId, whoever owns the app', async () => {
    const acc = await h().account();
    const other = await h().account();
    const c = await setup(h(), acc);
    const unheld = await h().keysets(acc, 1); // an app of the account, its keyset held by nobody
    const empty = await h().keysets(acc, 0); // an app with no keyset at all
    const theirs = await setup(h(), other, 'acme-42'); // another account's app, held by its own acme-42
    for (const appId of [unheld.appId, empty.appId, theirs.appA, 999_999_999]) {
      fails(await issue(acc, body({ externalId: c.externalId, appId })), 400, [`appId: customer ${c.externalId} holds no keyset in app ${appId}`]);
    }
    // A customer that holds nothing at all.
    ok(await h().request({ method: 'POST', url: '/v2/oem/customers', key: acc.key, body: { externalId: 'bare', name: 'Bare' } }));
    fails(await issue(acc, body({ externalId: 'bare', appId: c.appA })), 400, [`appId: customer bare holds no keyset in app ${c.appA}`]);
    // A keyset deleted after assignment no longer counts.
    const d = await setup(h(), acc, 'deleting');
    ok(await h().request({ method: 'DELETE', url: `/v2/keysets/${d.heldInB[0]}`, key: acc.key }));
    fails(await issue(acc, body({ externalId: 'deleting', appId: d.appB })), 400, [`appId: customer deleting holds no keyset in app ${d.appB}`]);
  });

  test('401 without a valid key, 400 before 2026-02-09 or without a version, 403 without oem:write or OEM enrolment', async () => {
    const acc = await h().account();
    const c = await setup(h(), acc);
    const good = body({ appId: c.appA });
    fails(await h().request({ method: 'POST', url: URL, body: good }), 401, /missing API key/);
    fails(await h().request({ method: 'POST', url: URL, key: 'oem_wrong', body: good }), 401, ['invalid API key']);
    fails(await issue(acc, good, '2025-11-15'), 400, ['POST /v2/oem/access-token was introduced in PubNub-Version 2026-02-09; the request asked for 2025-11-15']);
    fails(await h().request({ method: 'POST', url: URL, key: acc.key, body: good, headers: { 'pubnub-version': undefined } }), 400, /PubNub-Version header is required/);
    const reader = await h().account({ permissions: ['oem:read', 'apps:write', 'keysets:write'] });
    fails(await issue(reader, good), 403, ['this API key lacks the oem:write permission']);
    const plain = await h().account({ oem: false });
    fails(await issue(plain, good), 403, ['this account is not enrolled as an OEM partner']);
    // Auth comes before the body: a bad body with a bad key is a 401.
    fails(await h().request({ method: 'POST', url: URL, key: 'oem_wrong', body: {} }), 401, ['invalid API key']);
    fails(await h().request({ method: 'POST', url: URL, key: acc.key, payload: 'x', headers: { 'content-type': 'text/plain' } }), 415, /application\/json/);
    for (const version of ['2026-02-09', '2026-03-01', '2026-03-23', '2026-09-03']) {
      const r = await issue(acc, good, version);
      ok(r);
      assert.equal(r.headers['pubnub-version'], version);
    }
  });

  test('TOKEN_ISSUER sets iss; the service signs through the SigningKeys it is given', async () => {
    const app = await buildApp({ config: { bodyLimit: 1024 * 1024, tokenIssuer: 'https://auth.example.com' }, store: h().store, clock: h().clock });
    try {
      const acc = await h().account();
      const c = await setup(h(), acc);
      const r = await app.inject({
        method: 'POST', url: URL, payload: body({ appId: c.appA }),
        headers: { authorization: acc.key, 'pubnub-version': '2026-02-09', 'content-type': 'application/json' },
      });
      assert.equal(decodeJwt(r.json().accessToken).payload.iss, 'https://auth.example.com');
      const service = new TokensService(h().store, h().clock, new SigningKeys(h().store, h().clock), 'direct');
      const token = await service.issue(acc.accountId, { permissions: ['metric:write'], externalId: c.externalId, customerUserId: 'u', appId: c.appB });
      assert.deepEqual([decodeJwt(token).payload.iss, decodeJwt(token).payload.keysetIds], ['direct', c.heldInB]);
      await assert.rejects(service.issue(acc.accountId, { permissions: ['nope'], externalId: c.externalId, customerUserId: 'u', appId: c.appB }), (e: any) => e.status === 400);
    } finally {
      await app.close();
    }
  });

  test('the OpenAPI document describes the route, its since version and the JWKS', async () => {
    const doc = ok(await h().request({ method: 'GET', url: '/openapi.json' }));
    const op = doc.paths['/v2/oem/access-token'].post;
    assert.equal(op['x-since'], '2026-02-09');
    assert.deepEqual(op.requestBody.content['application/json'].schema.required.sort(), ['appId', 'customerUserId', 'externalId', 'permissions']);
    assert.ok(op.responses['200'] && op.responses['404']);
    assert.ok(doc.paths['/.well-known/jwks.json'].get);
  });
});
