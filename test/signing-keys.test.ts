// Access-token signing keys: kept in the store, created once however many processes start at once,
// shared by every node, rotated with `oem signing-keys rotate`, and served by /.well-known/jwks.json
// until every token they signed has expired. Tokens are checked with node:crypto (helpers/jwt.ts).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { buildApp } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { openStore, type Store } from '../src/db/store.js';
import { MAX_TOKEN_LIFETIME_MS, SigningKeys } from '../src/tokens/signing-keys.js';
import { ok } from './helpers/assertions.js';
import { describeEachStore, freshStore, STORE_KINDS, TestClock, type Harness, type TestAccount } from './helpers/harness.js';
import { decodeJwt, verifiesWith } from './helpers/jwt.js';
import { api, CLI_JS, emptyStore, runNode, startServerProcess, type ServerProcess } from './helpers/process.js';

const JWKS = '/.well-known/jwks.json';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const allKeys = (store: Store) => store.db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();

async function jwks(h: Harness) {
  const r = await h.request({ method: 'GET', url: JWKS, headers: { 'pubnub-version': undefined } });
  return ok(r) as { keys: Record<string, string>[] };
}

describe('TOKEN_ISSUER', () => {
  test('defaults to oem-customer-server, is trimmed, and a bad value names the setting', () => {
    assert.equal(loadConfig({}).tokenIssuer, 'oem-customer-server');
    assert.equal(loadConfig({ TOKEN_ISSUER: '  ' }).tokenIssuer, 'oem-customer-server');
    assert.equal(loadConfig({ TOKEN_ISSUER: ' https://auth.example.com ' }).tokenIssuer, 'https://auth.example.com');
    for (const bad of ['x'.repeat(256), 'a\nb', 'tab\there']) {
      assert.throws(() => loadConfig({ TOKEN_ISSUER: bad }), (e: Error) => e instanceof ConfigError && e.message.startsWith('TOKEN_ISSUER'));
    }
  });
});

describeEachStore('signing keys', (h) => {
  let acc: TestAccount;
  let issue: (app?: Harness['app']) => Promise<string>;

  before(async () => {
    acc = await h().account();
    const { appId, keysetIds } = await h().keysets(acc, 1);
    ok(await h().request({ method: 'POST', url: '/v2/oem/customers', key: acc.key, body: { externalId: 'k', name: 'K', keysetIds } }));
    const body = JSON.stringify({ permissions: ['metric:read'], externalId: 'k', customerUserId: 'u', appId });
    issue = async (app = h().app) => {
      const r = await app.inject({ method: 'POST', url: '/v2/oem/access-token', payload: body, headers: { authorization: acc.key, 'pubnub-version': '2026-02-09', 'content-type': 'application/json' } });
      assert.equal(r.statusCode, 200, r.body);
      return r.json().accessToken as string;
    };
  });

  test('the JWKS is public and unversioned; the first token creates the one key, and the JWKS serves its public half only', async () => {
    assert.deepEqual((await jwks(h())).keys, []); // the harness builds the app without startServer
    const token = await issue();
    const rows = await allKeys(h().store);
    assert.equal(rows.length, 1);
    const r = await h().request({ method: 'GET', url: JWKS, headers: { 'pubnub-version': undefined } });
    assert.equal(r.headers['cache-control'], 'public, max-age=60');
    assert.equal(r.headers['pubnub-version'], undefined);
    const { keys } = ok(r);
    assert.equal(keys.length, 1);
    const [key] = keys;
    assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    assert.deepEqual([key.kty, key.crv, key.alg, key.use, key.kid], ['EC', 'P-256', 'ES256', 'sig', rows[0]!.kid]);
    // kid is the key's RFC 7638 thumbprint: SHA-256 of its required members, in this exact form.
    const thumbprint = createHash('sha256').update(JSON.stringify({ crv: key.crv, kty: key.kty, x: key.x, y: key.y })).digest('base64url');
    assert.equal(key.kid, thumbprint);
    assert.equal(decodeJwt(token).header.kid, key.kid);
    assert.ok(verifiesWith(token, { keys }));
    // The private half is in the store only: never in the JWKS.
    const privateD = JSON.parse(rows[0]!.private_jwk).d as string;
    assert.match(privateD, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!r.body.includes(privateD) && !r.body.includes('"d"'));
    assert.equal(rows[0]!.retire_after, null);
  });

  test('ensure is idempotent: later calls keep the key', async () => {
    const [row] = await allKeys(h().store);
    for (let i = 0; i < 3; i++) assert.deepEqual(await new SigningKeys(h().store, h().clock).ensure(), { kid: row!.kid, created: false });
    assert.equal((await allKeys(h().store)).length, 1);
  });

  test('another node (another store connection, another app) signs with the same key, and each verifies the other\'s tokens', async () => {
    const store2 = await h().handle.reopen();
    const app2 = await buildApp({ config: { bodyLimit: 1024 * 1024 }, store: store2, clock: h().clock });
    try {
      const [one, two] = [await issue(), await issue(app2)];
      assert.equal(decodeJwt(one).header.kid, decodeJwt(two).header.kid);
      const jwks2 = (await app2.inject({ method: 'GET', url: JWKS })).json();
      assert.deepEqual(jwks2, await jwks(h()));
      assert.ok(verifiesWith(one, jwks2) && verifiesWith(two, await jwks(h())));
      // A rotation through node 2 is used by node 1 at its very next token: nothing is cached.
      const rotation = await new SigningKeys(store2, h().clock).rotate();
      assert.equal(decodeJwt(await issue()).header.kid, rotation.kid);
      assert.ok(verifiesWith(one, await jwks(h())), 'the token of before the rotation still verifies');
    } finally {
      await app2.close();
      await store2.close();
    }
  });

  test('rotations in a row: one current key, and each previous key keeps its own retire_after', async () => {
    const clock = new TestClock(); // its own clock, so the two rotations are a second apart
    const keys = new SigningKeys(h().store, clock);
    const first = await keys.rotate();
    clock.advance(1000);
    const second = await keys.rotate();
    assert.equal(second.previous!.kid, first.kid);
    const rows = await allKeys(h().store);
    assert.deepEqual(rows.filter((r) => r.retire_after === null).map((r) => r.kid), [second.kid]);
    assert.equal(rows.find((r) => r.kid === first.previous!.kid)!.retire_after, first.previous!.retireAfter);
    const kids = (await jwks(h())).keys.map((k) => k.kid);
    assert.deepEqual(kids.slice(0, 3), [second.kid, first.kid, first.previous!.kid]);
  });

  test('oem signing-keys rotate, run as another process, prints the rotation; this process signs with the new key at once', async () => {
    const current = (await allKeys(h().store)).find((r) => r.retire_after === null)!;
    const r = await runNode(CLI_JS, ['signing-keys', 'rotate'], { env: { DATABASE_URL: h().handle.url }, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[^\n]+\n$/);
    const printed = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(printed), ['kid', 'alg', 'createdAt', 'previous']);
    assert.equal(printed.alg, 'ES256');
    assert.match(printed.createdAt, ISO);
    assert.equal(printed.previous.kid, current.kid);
    assert.equal(Date.parse(printed.previous.retireAfter) - Date.parse(printed.createdAt), MAX_TOKEN_LIFETIME_MS);
    const row = (await allKeys(h().store)).find((k) => k.kid === printed.kid)!;
    assert.ok(!r.stdout.includes(JSON.parse(row.private_jwk).d), 'the private key is printed');
    assert.equal(decodeJwt(await issue()).header.kid, printed.kid);
  });

  // Last in the suite: it leaves keys stamped a week ahead, which would reorder the JWKS of later tests.
  test('rotate: new tokens carry the new kid; the old key is served until now + 24 h, then not', async () => {
    const before = await allKeys(h().store);
    const oldKid = before.find((r) => r.retire_after === null)!.kid;
    const oldToken = await issue();
    assert.equal(decodeJwt(oldToken).header.kid, oldKid);

    let moved = 0;
    const advance = (ms: number) => {
      h().clock.advance(ms);
      moved += ms;
    };
    try {
      advance(7 * 24 * 3600_000); // the injected clock, not the system's, stamps keys and filters the JWKS
      const at = h().clock.now().getTime();
      const rotation = await new SigningKeys(h().store, h().clock).rotate();
      assert.deepEqual(Object.keys(rotation), ['kid', 'alg', 'createdAt', 'previous']);
      assert.equal(rotation.alg, 'ES256');
      assert.ok(Math.abs(Date.parse(rotation.createdAt) - at) < 2000, rotation.createdAt);
      assert.deepEqual(rotation.previous, { kid: oldKid, retireAfter: new Date(Date.parse(rotation.createdAt) + 24 * 3600_000).toISOString() });
      assert.notEqual(rotation.kid, oldKid);
      const rows = await allKeys(h().store);
      assert.equal(rows.length, before.length + 1);
      assert.deepEqual(rows.filter((r) => r.retire_after === null).map((r) => r.kid), [rotation.kid]);
      assert.equal(rows.find((r) => r.kid === oldKid)!.retire_after, rotation.previous!.retireAfter);

      const newToken = await issue();
      const { header, payload } = decodeJwt(newToken);
      assert.equal(header.kid, rotation.kid);
      assert.ok(Math.abs(payload.iat * 1000 - h().clock.now().getTime()) < 2000, 'iat comes from the injected clock');
      const served = await jwks(h());
      assert.deepEqual(served.keys.map((k) => k.kid).slice(0, 2), [rotation.kid, oldKid]);
      assert.ok(verifiesWith(newToken, served) && verifiesWith(oldToken, served));
      assert.equal(MAX_TOKEN_LIFETIME_MS, 24 * 3600_000); // the longest expiresIn

      // Just before retire_after the old key is still served; just after, it is not.
      advance(Date.parse(rotation.previous!.retireAfter) - h().clock.now().getTime() - 1000);
      assert.ok((await jwks(h())).keys.some((k) => k.kid === oldKid), 'still served 1 s before retire_after');
      advance(2000);
      const after = await jwks(h());
      assert.deepEqual(after.keys.map((k) => k.kid), [rotation.kid]);
      assert.equal(verifiesWith(oldToken, after), false);
      assert.ok(verifiesWith(await issue(), after));
    } finally {
      h().clock.advance(-moved); // back to real time for the next tests
    }
  });
});

for (const kind of STORE_KINDS) {
  describe(`signing keys on an empty store [${kind}]`, () => {
    // One process has one SQLite connection whose waits block the event loop, so SQLite's
    // "several at once" runs the calls one after another here and in real processes below.
    test('several ensure calls at once (as several nodes starting) create exactly one key', async () => {
      const h = await freshStore(kind);
      const stores = await Promise.all(Array.from({ length: 6 }, () => h.reopen()));
      try {
        const clock = new TestClock();
        const ensure = (s: Store) => new SigningKeys(s, clock).ensure();
        let results: { kid: string; created: boolean }[] = [];
        if (kind === 'postgres') results = await Promise.all(stores.map(ensure));
        else for (const s of stores) results.push(await ensure(s));
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.equal(new Set(results.map((r) => r.kid)).size, 1);
        const rows = await allKeys(h.store);
        assert.deepEqual(rows.map((r) => [r.kid, r.retire_after]), [[results[0]!.kid, null]]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await h.destroy();
      }
    });

    test('rotations at once through several connections: each retires a different key, one stays current', { skip: kind === 'sqlite' && 'one SQLite connection per process: covered by the CLI processes below' }, async () => {
      const h = await freshStore(kind);
      const stores = await Promise.all(Array.from({ length: 5 }, () => h.reopen()));
      try {
        const clock = new TestClock();
        const initial = await new SigningKeys(h.store, clock).ensure();
        const rotations = await Promise.all(stores.map((s) => new SigningKeys(s, clock).rotate()));
        const rows = await allKeys(h.store);
        assert.equal(rows.length, 6);
        const current = rows.filter((r) => r.retire_after === null).map((r) => r.kid);
        assert.equal(current.length, 1);
        const retired = rotations.map((r) => r.previous!.kid);
        assert.equal(new Set(retired).size, 5, 'two rotations retired the same key');
        assert.deepEqual(new Set([...retired, ...current]), new Set([initial.kid, ...rotations.map((r) => r.kid)]));
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await h.destroy();
      }
    });

    test('oem signing-keys rotate from several processes at once: each retires a different key, one stays current', async () => {
      const empty = await emptyStore(kind);
      try {
        const first = await runNode(CLI_JS, ['signing-keys', 'rotate'], { env: { DATABASE_URL: empty.url }, timeoutMs: 30_000 });
        assert.equal(first.code, 0, first.stderr);
        assert.equal(JSON.parse(first.stdout).previous, null); // an empty store had no key to retire
        const runs = await Promise.all(Array.from({ length: 3 }, () => runNode(CLI_JS, ['signing-keys', 'rotate'], { env: { DATABASE_URL: empty.url }, timeoutMs: 30_000 })));
        for (const r of runs) assert.equal(r.code, 0, r.stderr);
        const printed = [JSON.parse(first.stdout), ...runs.map((r) => JSON.parse(r.stdout))];
        const store = await openStore(empty.url);
        try {
          const rows = await allKeys(store);
          assert.equal(rows.length, 4);
          const current = rows.filter((r) => r.retire_after === null).map((r) => r.kid);
          assert.equal(current.length, 1);
          const retired = printed.slice(1).map((p) => p.previous.kid);
          assert.equal(new Set(retired).size, 3, 'two rotations retired the same key');
          assert.deepEqual(new Set([...retired, ...current]), new Set(printed.map((p) => p.kid)));
        } finally {
          await store.close();
        }
      } finally {
        await empty.destroy();
      }
    });

    test('three servers starting at once on an empty store: one key, logged once, never the private half; each verifies the others\' tokens', async () => {
      const empty = await emptyStore(kind);
      const key = `oem_${randomBytes(16).toString('hex')}`;
      const started = await Promise.allSettled(Array.from({ length: 3 }, () => startServerProcess({ DATABASE_URL: empty.url, OEM_BOOTSTRAP_API_KEY: key, LOG_LEVEL: 'trace' }, 30_000)));
      const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])) as ServerProcess[];
      try {
        assert.equal(servers.length, 3, started.map((s) => (s.status === 'rejected' ? String(s.reason) : '')).join('\n'));
        const [a] = servers as [ServerProcess];
        const app = await api(a.baseUrl, 'POST', '/v2/apps', { key, body: { name: 'A' }, headers: { 'PubNub-Version': '2026-03-23' } });
        const ks = await api(a.baseUrl, 'POST', '/v2/keysets', { key, body: { keyset: { name: 'K', appId: app.json.id, type: 'testing' } }, headers: { 'PubNub-Version': '2026-03-23' } });
        assert.equal((await api(a.baseUrl, 'POST', '/v2/oem/customers', { key, body: { externalId: 'c', name: 'C', keysetIds: [Number(ks.json.keyset.id)] } })).status, 200);
        const body = { permissions: ['dashboard:read'], externalId: 'c', customerUserId: 'u', appId: Number(app.json.id) };
        const tokens: string[] = [];
        for (const s of servers) {
          const r = await api(s.baseUrl, 'POST', '/v2/oem/access-token', { key, body });
          assert.equal(r.status, 200, r.text);
          tokens.push(r.json.accessToken);
        }
        assert.equal(new Set(tokens.map((t) => decodeJwt(t).header.kid)).size, 1);
        for (const s of servers) {
          const set = (await api(s.baseUrl, 'GET', JWKS, { headers: {} })).json;
          assert.equal(set.keys.length, 1);
          for (const t of tokens) assert.ok(verifiesWith(t, set));
        }
        const store = await openStore(empty.url);
        const rows = await allKeys(store).finally(() => store.close());
        assert.equal(rows.length, 1);
        const output = servers.map((s) => s.stdout() + s.stderr()).join('\n');
        assert.equal(output.split('created the access-token signing key').length - 1, 1);
        assert.ok(!output.includes(JSON.parse(rows[0]!.private_jwk).d), 'the private key is in the logs');
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
        await empty.destroy();
      }
    });
  });
}

test('the usage names signing-keys rotate; extra arguments are refused', async () => {
  const empty = await emptyStore('sqlite');
  try {
    const help = await runNode(CLI_JS, ['help'], { env: { DATABASE_URL: empty.url } });
    assert.match(help.stderr, /oem signing-keys rotate/);
    const bad = await runNode(CLI_JS, ['signing-keys', 'rotate', 'now'], { env: { DATABASE_URL: empty.url } });
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    const unknown = await runNode(CLI_JS, ['signing-keys', 'rotate', '--force'], { env: { DATABASE_URL: empty.url } });
    assert.equal(unknown.code, 2);
  } finally {
    await empty.destroy();
  }
});
