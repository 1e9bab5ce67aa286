// POST /v2/oem/customers: every rule of CONTRACT §4.1, on each store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countRows, describeEachStore } from './helpers/harness.js';

const URL = '/v2/oem/customers';

describeEachStore('create customer', (h) => {
  test('creates a customer with keysets and answers the detail', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 2);
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'acme-1_A', name: 'Acme Inc.', keysetIds } });
    assert.equal(r.statusCode, 200, r.body);
    const { result } = r.json();
    assert.match(result.id, /^[A-Za-z0-9_-]+$/);
    assert.equal(result.externalId, 'acme-1_A');
    assert.equal(result.name, 'Acme Inc.');
    assert.match(result.created, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(result.updated, result.created);
    assert.deepEqual(result.keysets, keysetIds.sort((a, b) => a - b).map((id) => ({ id, assignedAt: result.created })));
    assert.deepEqual(Object.keys(result).sort(), ['created', 'externalId', 'id', 'keysets', 'name', 'updated']);
  });

  test('creates a customer without keysets', async () => {
    const acc = await h().account();
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'solo', name: 'Solo' } });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().result.keysets, []);
  });

  test('keysets come back ordered by id when assigned together', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 3);
    const shuffled = [keysetIds[2]!, keysetIds[0]!, keysetIds[1]!];
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'ordered', name: 'O', keysetIds: shuffled } });
    assert.deepEqual(r.json().result.keysets.map((k: { id: number }) => k.id), keysetIds);
  });

  test('name is stored exactly as sent, counted in code points', async () => {
    const acc = await h().account();
    const names = ['  spaced  ', 'Ünïcödé ✓', '日本語の名前', '😀'.repeat(255), 'a'.repeat(255), 'e\u0301', 'tab\tnew\nline', '<script>"\'&'];
    for (const [i, name] of names.entries()) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: `n${i}`, name } });
      assert.equal(r.statusCode, 200, `${JSON.stringify(name)}: ${r.body}`);
      assert.equal(r.json().result.name, name);
    }
    const row = await h().store.db.selectFrom('customers').select('name').where('external_id', '=', 'n0').where('account_id', '=', acc.accountId).executeTakeFirstOrThrow();
    assert.equal(row.name, '  spaced  ');
  });

  test('256 code points is too long, even when each is one emoji', async () => {
    const acc = await h().account();
    for (const name of ['😀'.repeat(256), 'a'.repeat(256)]) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'long', name } });
      assert.equal(r.statusCode, 400);
      assert.deepEqual(r.json().message, ['name must be at most 255 characters long']);
    }
  });

  test('externalId: length and pattern', async () => {
    const acc = await h().account();
    const ok = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'x'.repeat(255), name: 'n' } });
    assert.equal(ok.statusCode, 200, ok.body);
    const cases: [unknown, string][] = [
      ['', 'externalId must be at least 1 character long'],
      ['x'.repeat(256), 'externalId must be at most 255 characters long'],
      ['has space', 'externalId must match pattern ^[a-zA-Z0-9_-]+$'],
      ['dot.ted', 'externalId must match pattern ^[a-zA-Z0-9_-]+$'],
      ['ümlaut', 'externalId must match pattern ^[a-zA-Z0-9_-]+$'],
      [42, 'externalId must be a string'],
      [null, 'externalId must be a string'],
    ];
    for (const [externalId, message] of cases) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId, name: 'n' } });
      assert.equal(r.statusCode, 400, JSON.stringify(externalId));
      assert.ok(r.json().message.includes(message), `${JSON.stringify(externalId)} → ${r.body}`);
    }
  });

  test('empty or non-string name is refused', async () => {
    const acc = await h().account();
    for (const [name, message] of [['', 'name must be at least 1 character long'], [7, 'name must be a string'], [['a'], 'name must be a string']] as const) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'e', name } });
      assert.equal(r.statusCode, 400);
      assert.deepEqual(r.json().message, [message]);
    }
  });

  test('NUL characters and lone surrogates are a 400, never a 500', async () => {
    const acc = await h().account();
    for (const raw of ['"a\\u0000b"', '"\\ud800"', '"x\\udfffy"', '"\\udc00\\ud800"']) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, payload: `{"externalId":"s","name":${raw}}`, headers: { 'content-type': 'application/json' } });
      assert.equal(r.statusCode, 400, raw);
      assert.deepEqual(r.json().message, ['name must not contain NUL characters or unpaired UTF-16 surrogates']);
    }
    // A correctly paired surrogate is an ordinary astral character.
    const ok = await h().request({ method: 'POST', url: URL, key: acc.key, payload: '{"externalId":"s","name":"\\ud83d\\ude00"}', headers: { 'content-type': 'application/json' } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().result.name, '😀');
  });

  test('every problem is listed, each naming its field', async () => {
    const acc = await h().account();
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'bad id', name: '', keysetIds: [0, 'x', 1.5], extra: 1 } });
    assert.equal(r.statusCode, 400);
    assert.deepEqual(r.json().error, 'BadRequest');
    assert.deepEqual(new Set(r.json().message), new Set([
      'property extra should not exist',
      'externalId must match pattern ^[a-zA-Z0-9_-]+$',
      'name must be at least 1 character long',
      'keysetIds[0] must be at least 1',
      'keysetIds[1] must be an integer',
      'keysetIds[2] must be an integer',
    ]));
  });

  test('missing fields, a non-object body and no body', async () => {
    const acc = await h().account();
    const missing = await h().request({ method: 'POST', url: URL, key: acc.key, body: {} });
    assert.deepEqual(new Set(missing.json().message), new Set(['externalId is required', 'name is required']));
    for (const body of [[], 'str', 5, null]) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, body });
      assert.equal(r.statusCode, 400, JSON.stringify(body));
      assert.deepEqual(r.json().message, ['body must be a JSON object'], JSON.stringify(body));
    }
    const none = await h().request({ method: 'POST', url: URL, key: acc.key });
    assert.equal(none.statusCode, 400);
    assert.deepEqual(none.json().message, ['body must be a JSON object']);
  });

  test('keysetIds must be an array of positive safe integers', async () => {
    const acc = await h().account();
    const cases: [unknown, string][] = [
      ['1', 'keysetIds must be an array'],
      [[-3], 'keysetIds[0] must be at least 1'],
      [['7'], 'keysetIds[0] must be an integer'],
      [[2 ** 53], `keysetIds[0] must be at most ${Number.MAX_SAFE_INTEGER}`],
      [[null], 'keysetIds[0] must be an integer'],
    ];
    for (const [keysetIds, message] of cases) {
      const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'k', name: 'n', keysetIds } });
      assert.equal(r.statusCode, 400, JSON.stringify(keysetIds));
      assert.deepEqual(r.json().message, [message]);
    }
  });

  test('repeated keyset ids count once', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 5);
    const repeated = [...keysetIds, ...keysetIds, keysetIds[0]!];
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'rep', name: 'n', keysetIds: repeated } });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().result.keysets.length, 5);
  });

  test('a sixth keyset is refused and nothing is written', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 6);
    const before = await countRows(h().store, 'customers');
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'six', name: 'n', keysetIds } });
    assert.equal(r.statusCode, 400);
    assert.deepEqual(r.json().message, ['keysetIds must name at most 5 distinct keysets (got 6)']);
    assert.equal(await countRows(h().store, 'customers'), before);
  });

  test('unknown, other-account and already-held keysets are refused by id, and nothing is written', async () => {
    const acc = await h().account();
    const other = await h().account();
    const { keysetIds: mine } = await h().keysets(acc, 3);
    const { keysetIds: theirs } = await h().keysets(other, 1);
    const held = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'holder', name: 'n', keysetIds: [mine[0]] } });
    assert.equal(held.statusCode, 200);
    const [customersBefore, assignmentsBefore] = [await countRows(h().store, 'customers'), await countRows(h().store, 'customer_keysets')];

    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'holder', name: 'n', keysetIds: [mine[1], mine[0], theirs[0], 999999999] } });
    assert.equal(r.statusCode, 400);
    assert.deepEqual(r.json().message, [
      'externalId holder is already used by another customer',
      `keysetIds: keyset ${mine[0]} is already assigned to another customer`,
      `keysetIds: keyset ${theirs[0]} not found`,
      'keysetIds: keyset 999999999 not found',
    ]);
    assert.equal(await countRows(h().store, 'customers'), customersBefore);
    assert.equal(await countRows(h().store, 'customer_keysets'), assignmentsBefore);
    // mine[1] was valid but the request failed as a whole: it is still free.
    const again = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'next', name: 'n', keysetIds: [mine[1]] } });
    assert.equal(again.statusCode, 200, again.body);
  });

  test('another account\'s keyset reads exactly like an unknown one', async () => {
    const acc = await h().account();
    const other = await h().account();
    const { keysetIds: theirs } = await h().keysets(other, 1);
    const unknownId = theirs[0]! + 100000;
    const a = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'a', name: 'n', keysetIds: [theirs[0]] } });
    const b = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'a', name: 'n', keysetIds: [unknownId] } });
    assert.equal(a.statusCode, 400);
    assert.deepEqual(a.json().message, [`keysetIds: keyset ${theirs[0]} not found`]);
    assert.deepEqual(b.json().message, [`keysetIds: keyset ${unknownId} not found`]);
  });

  test('duplicate externalId is refused; another account may use the same one', async () => {
    const acc = await h().account();
    const other = await h().account();
    const first = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'dup', name: 'one' } });
    assert.equal(first.statusCode, 200);
    const second = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'dup', name: 'two' } });
    assert.equal(second.statusCode, 400);
    assert.deepEqual(second.json(), { statusCode: 400, error: 'BadRequest', message: ['externalId dup is already used by another customer'] });
    const theirs = await h().request({ method: 'POST', url: URL, key: other.key, body: { externalId: 'dup', name: 'three' } });
    assert.equal(theirs.statusCode, 200);
  });

  test('externalId is case-sensitive', async () => {
    const acc = await h().account();
    assert.equal((await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'Case', name: 'n' } })).statusCode, 200);
    assert.equal((await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'case', name: 'n' } })).statusCode, 200);
  });

  test('a keyset deleted after assignment frees nothing else and leaves the customer', async () => {
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 2);
    const c = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'del-ks', name: 'n', keysetIds } });
    assert.equal(c.statusCode, 200);
    const d = await h().request({ method: 'DELETE', url: `/v2/keysets/${keysetIds[0]}`, key: acc.key });
    assert.equal(d.statusCode, 200);
    const rows = await h().store.db.selectFrom('customer_keysets').select('keyset_id').where('customer_id', '=', c.json().result.id).execute();
    assert.deepEqual(rows.map((r) => r.keyset_id), [keysetIds[1]]);
  });
});
