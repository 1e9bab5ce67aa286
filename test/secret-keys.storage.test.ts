// Secret keys in the store: only hashes and prefixes are kept, keys go with their keyset, concurrent
// rotations keep the invariants, and keysets made before migration 0005 keep their keys.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { migrate } from '../src/db/migrations.js';
import { openStore } from '../src/db/store.js';
import { SecretKeysService, UNKNOWN_PREFIX } from '../src/keysets/secret-keys.service.js';
import { sha256Hex } from '../src/secrets.js';
import { ok } from './helpers/assertions.js';
import { describeEachStore, STORE_KINDS, TestClock } from './helpers/harness.js';
import { emptyStore } from './helpers/process.js';
import { DAY, prefixOf, SECRET, secretKeyClient } from './helpers/secret-keys.js';

describeEachStore('secret keys in the store', (h) => {
  const { req, keyset, at, url } = secretKeyClient(h);
  before(() => h().clock.freeze(new Date()));
  const rows = (keysetId: string) =>
    h().store.db.selectFrom('secret_keys').selectAll().where('keyset_id', '=', Number(keysetId)).orderBy('id').execute();

  test('a key is visible only in the response that made it; the store holds its SHA-256 and prefix, never the key', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const keys = [k.secret];
    keys.push(ok(await req(acc, 'POST', url(k.id), { expiresAt: at(DAY) }), 201).secretKey);
    keys.push(ok(await req(acc, 'POST', url(k.id), { expiresAt: at(2 * DAY) }), 201).secretKey);
    keys.push(ok(await req(acc, 'POST', url(k.id)), 201).secretKey);
    for (const key of keys) assert.match(key, SECRET);
    const later = [
      await req(acc, 'GET', url(k.id)), await req(acc, 'GET', `${url(k.id)}?activeOnly=true`),
      await req(acc, 'PATCH', url(k.id, prefixOf(keys[0]!)), { expiresAt: at(3 * DAY) }),
      await req(acc, 'DELETE', url(k.id, prefixOf(keys[0]!))),
      await req(acc, 'GET', `/v2/keysets/${k.id}`), await req(acc, 'GET', '/v2/keysets?limit=100'),
      await req(acc, 'PATCH', `/v2/keysets/${k.id}`, { name: 'Renamed' }),
    ];
    for (const r of later) {
      assert.ok(r.statusCode === 200, r.body);
      for (const key of keys) assert.ok(!r.body.includes(key.slice(11)), `a later response shows a key: ${r.body}`);
    }
    const stored = await rows(k.id);
    // keys[0] was deleted, keys[2] replaced at once by keys[3]; keys[1] is rotated out until 2 days from now.
    assert.deepEqual(stored.map((r) => [r.prefix, r.hash, r.expires_at]), [
      [prefixOf(keys[1]!), sha256Hex(keys[1]!), at(2 * DAY)],
      [prefixOf(keys[3]!), sha256Hex(keys[3]!), null],
    ]);
    const everything = [
      ...(await h().store.db.selectFrom('secret_keys').selectAll().execute()),
      ...(await h().store.db.selectFrom('keysets').selectAll().execute()),
    ];
    for (const row of everything) {
      for (const [column, value] of Object.entries(row)) {
        for (const key of keys) assert.ok(!String(value).includes(key.slice(11)), `column ${column} holds a key`);
      }
    }
  });

  test('deleting a keyset deletes its secret keys', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const kept = await keyset(acc);
    ok(await req(acc, 'POST', url(k.id), { expiresAt: at(DAY) }), 201);
    assert.equal((await rows(k.id)).length, 2);
    assert.deepEqual(ok(await req(acc, 'DELETE', `/v2/keysets/${k.id}`)), { success: true });
    assert.deepEqual(await rows(k.id), []);
    assert.equal((await rows(kept.id)).length, 1);
    assert.equal((await req(acc, 'GET', url(k.id))).statusCode, 404);
  });

  test('two rotations with overlap at once, one place left: one succeeds, one is refused; one permanent key, 5 rotated', async () => {
    const acc = await h().account();
    for (let round = 0; round < 5; round++) {
      const k = await keyset(acc);
      for (let i = 1; i <= 4; i++) ok(await req(acc, 'POST', url(k.id), { expiresAt: at(i * DAY) }), 201);
      const results = await Promise.all([1, 2].map(() => req(acc, 'POST', url(k.id), { expiresAt: at(10 * DAY) })));
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 400], results.map((r) => r.body).join('\n'));
      const stored = await rows(k.id);
      assert.equal(stored.filter((r) => r.expires_at === null).length, 1);
      assert.equal(stored.filter((r) => r.expires_at !== null).length, 5);
      assert.equal(stored.find((r) => r.expires_at === null)!.prefix, prefixOf(results.find((r) => r.statusCode === 201)!.json().secretKey));
    }
  });

  test('many rotations at once, with and without overlap: exactly one permanent key, at most 5 rotated, each key made once', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      req(acc, 'POST', url(k.id), i % 3 === 0 ? undefined : { expiresAt: at((i + 1) * DAY) })));
    for (const r of results) assert.ok(r.statusCode === 201 || (r.statusCode === 400 && /already has 5/.test(r.body)), r.body);
    const made: string[] = results.filter((r) => r.statusCode === 201).map((r) => r.json().secretKey);
    assert.equal(new Set(made).size, made.length);
    const stored = await rows(k.id);
    const permanent = stored.filter((r) => r.expires_at === null);
    assert.equal(permanent.length, 1);
    assert.ok(made.map(prefixOf).includes(permanent[0]!.prefix!));
    assert.ok(stored.length - 1 <= 5);
    assert.equal(new Set(stored.map((r) => r.prefix)).size, stored.length);
    assert.deepEqual(ok(await req(acc, 'GET', url(k.id))).secretKeys[0], { secretKey: permanent[0]!.prefix, expiresAt: null });
  });
});

for (const kind of STORE_KINDS) {
  describe(`migration 0005 carries existing keysets' secret keys over [${kind}]`, () => {
    test('the key moves to secret_keys with an unknown prefix, keysets loses the hash column, and the key can still be rotated out', async () => {
      const empty = await emptyStore(kind);
      const store = await openStore(empty.url);
      try {
        await migrate(store, '0004_keyset_configs');
        const raw = store.db as unknown as import('kysely').Kysely<any>;
        const t = '2026-01-01T00:00:00.000Z';
        const account = await raw.insertInto('accounts').values({ name: 'Old', oem_enabled: 1, created_at: t }).returning('id').executeTakeFirstOrThrow();
        const app = await raw.insertInto('apps').values({ account_id: account.id, name: 'A', created_at: t, updated_at: t }).returning('id').executeTakeFirstOrThrow();
        const oldKey = `sec-c-${'x'.repeat(48)}`;
        const keysetRow = await raw.insertInto('keysets').values({
          account_id: account.id, app_id: app.id, name: 'K', type: 'testing', publish_key: 'pub-c-1', subscribe_key: 'sub-c-1',
          secret_key_hash: sha256Hex(oldKey), created_at: t, updated_at: t,
        }).returning('id').executeTakeFirstOrThrow();
        assert.deepEqual(await migrate(store, '0005_secret_keys'), ['0005_secret_keys']);
        const keysetId = Number(keysetRow.id);
        const moved = await store.db.selectFrom('secret_keys').selectAll().execute();
        assert.deepEqual(moved.map((r) => [Number(r.keyset_id), r.prefix, r.hash, r.expires_at, r.created_at]), [[keysetId, null, sha256Hex(oldKey), null, t]]);
        const columns = kind === 'sqlite'
          ? (await sql<{ name: string }>`select name from pragma_table_info('keysets')`.execute(store.db)).rows.map((r) => r.name)
          : (await sql<{ name: string }>`select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = 'keysets'`.execute(store.db)).rows.map((r) => r.name);
        assert.ok(columns.includes('publish_key') && !columns.includes('secret_key_hash'), columns.join());

        const clock = new TestClock();
        clock.freeze(new Date());
        const service = new SecretKeysService(store, clock);
        const accountId = Number(account.id);
        assert.deepEqual(await service.list(accountId, keysetId, false), [{ prefix: UNKNOWN_PREFIX, expiresAt: null }]);
        const until = new Date(clock.now().getTime() + DAY).toISOString();
        const fresh = await service.rotate(accountId, keysetId, until);
        assert.deepEqual(await service.list(accountId, keysetId, false), [{ prefix: prefixOf(fresh), expiresAt: null }, { prefix: UNKNOWN_PREFIX, expiresAt: until }]);
        const hard = await service.rotate(accountId, keysetId);
        assert.deepEqual(await service.list(accountId, keysetId, false), [{ prefix: prefixOf(hard), expiresAt: null }, { prefix: UNKNOWN_PREFIX, expiresAt: until }]);
        clock.advance(DAY);
        assert.deepEqual(await service.list(accountId, keysetId, true), [{ prefix: prefixOf(hard), expiresAt: null }]);
      } finally {
        await store.close();
        await empty.destroy();
      }
    });
  });
}
