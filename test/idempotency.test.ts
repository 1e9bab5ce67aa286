// Idempotency-Key (CONTRACT §6), on each store: replay byte for byte, 422 for another request,
// 409 while in flight, nothing kept for a 5xx, 24 hour expiry, per-account keys, and a client that
// retries through dropped responses creating exactly one customer per intended create.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { IDEMPOTENCY_TTL_MS, IN_FLIGHT_LEASE_MS } from '../src/http/idempotency.js';
import { IdempotencyRepository } from '../src/idempotency/idempotency.repository.js';
import { UsersService } from '../src/users/users.service.js';
import { fails } from './helpers/assertions.js';
import { countRows, describeEachStore, type Harness, type TestAccount } from './helpers/harness.js';
import { seededRandom } from './helpers/random.js';
import { scaled } from './helpers/scale.js';

const URL = '/v2/oem/customers';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function idemRows(h: Harness, accountId?: number) {
  let q = h.store.db.selectFrom('idempotency_keys').selectAll();
  if (accountId !== undefined) q = q.where('account_id', '=', accountId);
  return q.execute();
}

async function customersOf(h: Harness, acc: TestAccount) {
  return h.store.db.selectFrom('customers').selectAll().where('account_id', '=', acc.accountId).execute();
}

describeEachStore('idempotency', (h) => {
  const create = (acc: TestAccount, key: string | undefined, body: unknown, url = URL) =>
    h().request({ method: 'POST', url, key: acc.key, body, headers: key === undefined ? {} : { 'idempotency-key': key } });

  test('a retry gets the first response byte for byte, marked replayed, and writes nothing', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 1);
    const body = { externalId: 'idem-1', name: 'Idem', keysetIds };
    const first = await create(acc, 'key-1', body);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const customers = await countRows(h().store, 'customers');
    const assignments = await countRows(h().store, 'customer_keysets');
    h().clock.advance(5_000); // a new create would stamp other times
    for (let i = 0; i < 3; i++) {
      const again = await create(acc, 'key-1', body);
      assert.equal(again.statusCode, first.statusCode);
      assert.equal(again.body, first.body);
      assert.equal(again.rawPayload.equals(first.rawPayload), true);
      assert.equal(again.headers['content-type'], first.headers['content-type']);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.ok(again.headers['request-id']);
      assert.notEqual(again.headers['request-id'], first.headers['request-id']);
    }
    assert.equal(await countRows(h().store, 'customers'), customers);
    assert.equal(await countRows(h().store, 'customer_keysets'), assignments);
    assert.equal((await idemRows(h(), acc.accountId)).length, 1);
    // Without the key, the same request is a new one (and fails: the externalId is taken).
    const fresh = await create(acc, undefined, body);
    assert.equal(fresh.statusCode, 400);
    assert.match(fresh.body, /externalId idem-1 is already used/);
  });

  test('a 4xx is a completed response too: the retry replays it', async () => {
    const acc = await h().account();
    const first = await create(acc, 'bad-1', { externalId: 'bad id', name: '' });
    assert.equal(first.statusCode, 400);
    const again = await create(acc, 'bad-1', { externalId: 'bad id', name: '' });
    assert.equal(again.statusCode, 400);
    assert.equal(again.body, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
  });

  test('the same key with another body, path or route → 422, and nothing is written', async () => {
    const acc = await h().account();
    const r = await create(acc, 'k', { externalId: 'one', name: 'One' });
    assert.equal(r.statusCode, 200, r.body);
    const before = await countRows(h().store, 'customers');
    const apps = await countRows(h().store, 'apps');
    const msg = /Idempotency-Key was used with another request/;
    fails(await create(acc, 'k', { externalId: 'two', name: 'Two' }), 422, msg);
    // The same JSON with other whitespace is another body: the fingerprint is over the raw bytes.
    fails(await h().request({ method: 'POST', url: URL, key: acc.key, payload: '{ "externalId": "one", "name": "One" }',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k' } }), 422, msg);
    fails(await create(acc, 'k', { name: 'App' }, '/v2/apps'), 422, msg);
    fails(await create(acc, 'k', { externalId: 'one', name: 'One' }, `${URL}?x=1`), 422, msg);
    assert.equal(await countRows(h().store, 'customers'), before);
    assert.equal(await countRows(h().store, 'apps'), apps);
    // Only POST uses the key: a PATCH carrying it runs normally (and is not stored).
    const id = r.json().result.id;
    const patch = await h().request({ method: 'PATCH', url: `${URL}/${id}`, key: acc.key, body: { name: 'Renamed' }, headers: { 'idempotency-key': 'k' } });
    assert.equal(patch.statusCode, 200, patch.body);
    assert.equal(patch.headers['idempotent-replayed'], undefined);
    assert.equal((await idemRows(h(), acc.accountId)).length, 1);
  });

  test('a request whose key is still in flight → 409; once completed it replays', async () => {
    const acc = await h().account();
    const body = JSON.stringify({ externalId: 'flight', name: 'F' });
    // Another process has claimed the key and is still working on it.
    const repo = new IdempotencyRepository(h().store.db);
    const now = h().clock.now().getTime();
    const claim = await repo.claim({
      accountId: acc.accountId, keyHash: sha('in-flight'), fingerprint: sha(`POST\n${URL}\n${body}`),
      now: new Date(now).toISOString(), expiredBefore: new Date(now - IDEMPOTENCY_TTL_MS).toISOString(),
      abandonedBefore: new Date(now - IN_FLIGHT_LEASE_MS).toISOString(),
    });
    assert.equal(claim.kind, 'claimed');
    const retry = () => h().request({ method: 'POST', url: URL, key: acc.key, payload: body,
      headers: { 'content-type': 'application/json', 'idempotency-key': 'in-flight' } });
    fails(await retry(), 409, /still being processed/);
    // A different request with that key is still a 422, in flight or not.
    fails(await create(acc, 'in-flight', { externalId: 'other', name: 'O' }), 422, /another request/);
    assert.equal((await customersOf(h(), acc)).length, 0);
    // A claim left in flight longer than the lease (its process died) is taken over.
    h().clock.advance(IN_FLIGHT_LEASE_MS + 1000);
    const taken = await retry();
    assert.equal(taken.statusCode, 200, taken.body);
    assert.equal(taken.headers['idempotent-replayed'], undefined);
    const replay = await retry();
    assert.equal(replay.body, taken.body);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal((await customersOf(h(), acc)).length, 1);
  });

  test('concurrent requests with one key: one runs, the others are 409 or replays, one customer', async () => {
    const acc = await h().account();
    const body = { externalId: 'race', name: 'Race' };
    const rs = await Promise.all(Array.from({ length: 8 }, () => create(acc, 'race-key', body)));
    const ran = rs.filter((r) => r.statusCode === 200 && r.headers['idempotent-replayed'] === undefined);
    assert.equal(ran.length, 1, rs.map((r) => `${r.statusCode} ${r.body}`).join('\n'));
    for (const r of rs) {
      if (r.statusCode === 409) fails(r, 409, /still being processed/);
      else assert.equal(r.body, ran[0]!.body);
    }
    assert.equal((await customersOf(h(), acc)).length, 1);
  });

  test('a 5xx is not stored: the key is released and the retry runs afresh', async () => {
    const acc = await h().account();
    const body = { externalId: 'five', name: 'Five' };
    await sql`alter table customers rename to customers_away`.execute(h().store.db);
    let failed;
    try {
      failed = await create(acc, 'five-key', body);
    } finally {
      await sql`alter table customers_away rename to customers`.execute(h().store.db);
    }
    assert.equal(failed.statusCode, 500, failed.body);
    assert.equal((await idemRows(h(), acc.accountId)).length, 0);
    const retry = await create(acc, 'five-key', body);
    assert.equal(retry.statusCode, 200, retry.body);
    assert.equal(retry.headers['idempotent-replayed'], undefined);
    assert.equal((await customersOf(h(), acc)).length, 1);
  });

  test('after 24 hours a key is forgotten: the same key runs a new request; expired rows are deleted', async () => {
    const acc = await h().account();
    const first = await create(acc, 'day', { externalId: 'day-1', name: 'D' });
    assert.equal(first.statusCode, 200);
    h().clock.advance(IDEMPOTENCY_TTL_MS - 1000);
    assert.equal((await create(acc, 'day', { externalId: 'day-1', name: 'D' })).headers['idempotent-replayed'], 'true');
    fails(await create(acc, 'day', { externalId: 'day-2', name: 'D' }), 422, /another request/);
    h().clock.advance(2000);
    const second = await create(acc, 'day', { externalId: 'day-2', name: 'D' });
    assert.equal(second.statusCode, 200, second.body);
    assert.equal(second.headers['idempotent-replayed'], undefined);
    assert.equal((await customersOf(h(), acc)).length, 2);
    // Another key's expired row is cleaned up when any key is claimed.
    const other = await create(acc, 'old', { externalId: 'day-3', name: 'D' });
    assert.equal(other.statusCode, 200);
    h().clock.advance(IDEMPOTENCY_TTL_MS + 1000);
    assert.equal((await create(acc, 'fresh', { externalId: 'day-4', name: 'D' })).statusCode, 200);
    const left = (await idemRows(h(), acc.accountId)).map((r) => r.key_hash);
    assert.deepEqual(left, [sha('fresh')]);
  });

  test('keys are per account: the same key in two accounts is two independent requests', async () => {
    const a = await h().account();
    const b = await h().account();
    const ra = await create(a, 'shared', { externalId: 'same', name: 'A' });
    const rb = await create(b, 'shared', { externalId: 'same', name: 'B' });
    const rb2 = await create(b, 'shared', { externalId: 'other', name: 'B' }, '/v2/oem/customers');
    assert.equal(ra.statusCode, 200);
    assert.equal(rb.statusCode, 200);
    assert.equal(rb.headers['idempotent-replayed'], undefined);
    assert.notEqual(ra.json().result.id, rb.json().result.id);
    fails(rb2, 422, /another request/);
    assert.equal((await customersOf(h(), a)).length, 1);
    assert.equal((await customersOf(h(), b)).length, 1);
  });

  test('an invalid Idempotency-Key → 400, nothing written', async () => {
    const acc = await h().account();
    const before = await countRows(h().store, 'customers');
    for (const key of ['', 'x'.repeat(256), 'tab\there', 'del\x7f']) {
      fails(await create(acc, key, { externalId: 'inv', name: 'I' }), 400, ['Idempotency-Key must be 1 to 255 printable ASCII characters']);
    }
    assert.equal(await countRows(h().store, 'customers'), before);
    for (const key of ['x'.repeat(255), 'a', ' !~"{}']) {
      assert.equal((await create(acc, key, { externalId: `ok${sha(key).slice(0, 8)}`, name: 'I' })).statusCode, 200);
    }
  });

  test('the legacy /api routes honour the key too; POST /api/me ignores it', async () => {
    const acc = await h().account();
    const email = `idem-${acc.accountId}@example.com`;
    const password = 'correct horse battery staple';
    await new UsersService(h().store, h().clock).createUser({ accountId: acc.accountId, email, password });
    const login = () => h().request({ method: 'POST', url: '/api/me', body: { email, password },
      headers: { 'idempotency-key': 'login', 'pubnub-version': undefined } });
    const l1 = await login();
    const l2 = await login();
    assert.equal(l1.statusCode, 200, l1.body);
    assert.equal(l2.headers['idempotent-replayed'], undefined);
    assert.notEqual(l1.json().result.token, l2.json().result.token);
    const token: string = l1.json().result.token;
    const legacy = (body: unknown) => h().request({ method: 'POST', url: '/api/oem/customers', body,
      headers: { 'x-session-token': token, 'pubnub-version': undefined, 'idempotency-key': 'legacy' } });
    const first = await legacy({ externalId: 'legacy-1', name: 'L' });
    assert.equal(first.statusCode, 200, first.body);
    const again = await legacy({ externalId: 'legacy-1', name: 'L' });
    assert.equal(again.body, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    fails(await legacy({ externalId: 'legacy-2', name: 'L' }), 422, /another request/);
    // /api/oem/customers and /v2/oem/customers are different paths.
    fails(await create(acc, 'legacy', { externalId: 'legacy-1', name: 'L' }), 422, /another request/);
    assert.equal((await customersOf(h(), acc)).length, 1);
    assert.equal((await idemRows(h(), acc.accountId)).length, 1);
  });

  test('responses holding secrets replay exactly, and the store holds them only encrypted', async () => {
    const acc = await h().account();
    const app = await create(acc, undefined, { name: 'Secret app' }, '/v2/apps');
    const appId = app.json().id;
    const ks = { keyset: { name: 'K', appId, type: 'testing' } };
    const first = await create(acc, 'ks', ks, '/v2/keysets');
    assert.equal(first.statusCode, 201, first.body);
    const secret: string = first.json().keyset.secretKeys[0].secretKey;
    const again = await create(acc, 'ks', ks, '/v2/keysets');
    assert.equal(again.statusCode, 201);
    assert.equal(again.body, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    const keysetId = first.json().keyset.id;
    const rotated = await create(acc, 'rot', {}, `/v2/keysets/${keysetId}/secret-keys`);
    assert.ok(rotated.statusCode < 300, rotated.body);
    assert.equal((await create(acc, 'rot', {}, `/v2/keysets/${keysetId}/secret-keys`)).body, rotated.body);
    const newSecret: string = rotated.json().secretKey;
    const dump = JSON.stringify(await idemRows(h(), acc.accountId));
    for (const s of [secret, newSecret, secret.slice(6), newSecret.slice(6)]) assert.ok(!dump.includes(s), s);
    // The keys themselves are kept only as SHA-256 digests.
    assert.deepEqual((await idemRows(h(), acc.accountId)).map((r) => r.key_hash).sort(), [sha('ks'), sha('rot')].sort());
    // Another API key of the same account cannot read the stored response.
    const other = await h().accounts.createApiKey({ accountId: acc.accountId, permissions: ['keysets:write' as never, 'keysets:read' as never] });
    const viaOther = await h().request({ method: 'POST', url: '/v2/keysets', key: other.key, body: ks, headers: { 'idempotency-key': 'ks' } });
    fails(viaOther, 422, /another credential/);
  });

  test('replays hold across server processes sharing the store', async () => {
    const acc = await h().account();
    const store2 = await h().handle.reopen();
    const app2 = await buildApp({ config: { bodyLimit: 1024 * 1024 }, store: store2, clock: h().clock });
    try {
      const body = { externalId: 'multi', name: 'M' };
      const first = await create(acc, 'multi', body);
      const payload = JSON.stringify(body);
      const viaOther = await app2.inject({ method: 'POST', url: URL, payload,
        headers: { authorization: acc.key, 'pubnub-version': '2026-02-09', 'content-type': 'application/json', 'idempotency-key': 'multi' } });
      assert.equal(viaOther.body, first.body);
      assert.equal(viaOther.headers['idempotent-replayed'], 'true');
    } finally {
      await app2.close();
      await store2.close();
    }
  });

  test('a client retrying every create through randomly dropped responses ends with exactly one customer each', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 10);
    const random = seededRandom(20261204);
    const intended = Array.from({ length: scaled(30) }, (_, i) => ({
      key: `create-${i}-${random().toString(36).slice(2)}`,
      body: { externalId: `drop-${i}`, name: `Customer ${i}`, ...(i < 10 ? { keysetIds: [keysetIds[i]!] } : {}) },
    }));
    const received = new Map<string, string>();
    // Each create: the first attempt and 3 retries, half of them sent concurrently; every response
    // is dropped (never seen by the client) with probability 1/2; a 409 just means retry.
    await Promise.all(intended.map(async ({ key, body }) => {
      for (let attempt = 0; attempt < 4; attempt++) {
        const sends = random() < 0.5 ? 2 : 1;
        const rs = await Promise.all(Array.from({ length: sends }, () => create(acc, key, body)));
        for (const r of rs) {
          if (random() < 0.5) continue; // dropped
          if (r.statusCode === 409) continue;
          assert.equal(r.statusCode, 200, r.body);
          const id = r.json().result.id;
          const seen = received.get(key);
          if (seen !== undefined) assert.equal(id, seen);
          received.set(key, id);
        }
      }
      // Until an answer gets through: with the key it is always the same one.
      while (!received.has(key)) {
        const r = await create(acc, key, body);
        if (r.statusCode === 200) received.set(key, r.json().result.id);
      }
    }));
    const rows = await customersOf(h(), acc);
    assert.equal(rows.length, intended.length);
    assert.deepEqual(rows.map((r) => r.external_id).sort(), intended.map((c) => c.body.externalId).sort());
    for (const { key, body } of intended) {
      assert.equal(rows.find((r) => r.external_id === body.externalId)!.id, received.get(key));
    }
    const assigned = await h().store.db.selectFrom('customer_keysets').select('keyset_id')
      .where('keyset_id', 'in', keysetIds).execute();
    assert.equal(assigned.length, 10);
  });
});
