// /v2/keysets/:keysetId/secret-keys: list, rotate (with and without overlap), change expiry, delete;
// every rule of KEYSETS-AND-APPS.md §1.5 and the README's decisions, on each store.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Permission } from '../src/accounts/permissions.js';
import { fails, ok, VERSIONS } from './helpers/assertions.js';
import { describeEachStore } from './helpers/harness.js';
import { DAY, prefixOf, SEC, SECRET, secretKeyClient } from './helpers/secret-keys.js';

const PREFIX_MESSAGE = 'secretKeyPrefix must match pattern ^sec-c-[a-zA-Z0-9]{5}$';
const EXPIRES_MESSAGE = 'expiresAt must match pattern ^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?Z$';

describeEachStore('secret keys', (h) => {
  const { req, keyset, at, url } = secretKeyClient(h);
  // Frozen, so that "60 s from now" means exactly that when the server checks it.
  before(() => h().clock.freeze(new Date()));
  const list = async (acc: Parameters<typeof req>[0], id: string, query = '') => ok(await req(acc, 'GET', `${url(id)}${query}`)).secretKeys;
  const rotate = async (acc: Parameters<typeof req>[0], id: string, body?: unknown): Promise<string> => {
    const b = ok(await req(acc, 'POST', url(id), body), 201);
    assert.deepEqual(Object.keys(b), ['secretKey']);
    assert.match(b.secretKey, SECRET);
    return b.secretKey;
  };

  test('a new keyset lists its one permanent key by prefix: { secretKeys: [{ secretKey: "sec-c-xxxxx", expiresAt: null }] }', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    assert.match(k.secret, SECRET);
    assert.deepEqual(ok(await req(acc, 'GET', url(k.id))), { secretKeys: [{ secretKey: prefixOf(k.secret), expiresAt: null }] });
    for (const q of ['?activeOnly=true', '?activeOnly=false']) assert.deepEqual(await list(acc, k.id, q), [{ secretKey: prefixOf(k.secret), expiresAt: null }]);
  });

  test('rotation without expiresAt replaces the permanent key at once (no body, {} and an empty JSON body alike); rotated keys stay', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const a = await rotate(acc, k.id);
    assert.notEqual(a, k.secret);
    assert.deepEqual(await list(acc, k.id), [{ secretKey: prefixOf(a), expiresAt: null }]);
    const empty = await h().request({ method: 'POST', url: url(k.id), key: acc.key, payload: '', headers: { 'content-type': 'application/json' } });
    const b0 = ok(empty, 201).secretKey;
    assert.deepEqual(await list(acc, k.id), [{ secretKey: prefixOf(b0), expiresAt: null }]);
    const b = await rotate(acc, k.id, {});
    assert.deepEqual(await list(acc, k.id), [{ secretKey: prefixOf(b), expiresAt: null }]);
    const until = at(DAY);
    const c = await rotate(acc, k.id, { expiresAt: until });
    const d = await rotate(acc, k.id);
    assert.equal(new Set([k.secret, a, b0, b, c, d]).size, 6);
    assert.deepEqual(await list(acc, k.id), [{ secretKey: prefixOf(d), expiresAt: null }, { secretKey: prefixOf(b), expiresAt: until }]);
  });

  test('rotation with expiresAt: the old key keeps working until then, a new permanent key is made; list order and activeOnly', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const a = await rotate(acc, k.id, { expiresAt: at(2 * DAY) });
    // Seconds only: the server keeps the instant and answers it with milliseconds.
    const b = await rotate(acc, k.id, { expiresAt: `${at(3600 * SEC).slice(0, 19)}Z` });
    const c = await rotate(acc, k.id, { expiresAt: at(10 * DAY) });
    const all = await list(acc, k.id);
    // k.secret expires in 2 days (rotated out by a), a in 1 hour (by b), b in 10 days (by c); c is permanent.
    assert.deepEqual(all.map((x: { secretKey: string }) => x.secretKey), [c, a, k.secret, b].map(prefixOf));
    assert.equal(all[0].expiresAt, null);
    // Expiries come back in the stored form: UTC with milliseconds.
    assert.deepEqual(all.slice(1).map((x: { expiresAt: string }) => Date.parse(x.expiresAt) - h().clock.now().getTime()), [3600 * SEC - (h().clock.now().getTime() % 1000), 2 * DAY, 10 * DAY]);
    for (const x of all.slice(1)) assert.match(x.expiresAt, /\.\d{3}Z$/);
    assert.deepEqual(await list(acc, k.id, '?activeOnly=true'), all);
    h().clock.advance(3600 * SEC);
    // Expired (expiresAt ≤ now): listed by default and with activeOnly=false, not with activeOnly=true.
    assert.deepEqual(await list(acc, k.id), all);
    assert.deepEqual(await list(acc, k.id, '?activeOnly=false'), all);
    assert.deepEqual(await list(acc, k.id, '?activeOnly=true'), [all[0], all[2], all[3]]);
    h().clock.advance(2 * DAY);
    assert.deepEqual(await list(acc, k.id, '?activeOnly=true'), [all[0], all[3]]);
    for (const bad of ['yes', '1', '', 'TRUE']) fails(await req(acc, 'GET', `${url(k.id)}?activeOnly=${bad}`), 400, ['activeOnly must be a boolean']);
    fails(await req(acc, 'GET', `${url(k.id)}?other=1`), 400, ['property other should not exist']);
  });

  test('at most 5 rotated keys in effect: a 6th → 400 and nothing changes; an expired or deleted one frees its place', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const made = [k.secret];
    for (let i = 1; i <= 5; i++) made.push(await rotate(acc, k.id, { expiresAt: at(i * 60 * SEC) }));
    const before = await list(acc, k.id);
    assert.equal(before.length, 6);
    fails(await req(acc, 'POST', url(k.id), { expiresAt: at(DAY) }), 400, [`keyset ${k.id} already has 5 rotated secret keys in effect; delete one or wait until one expires`]);
    assert.deepEqual(await list(acc, k.id), before);
    // A rotation without overlap does not add a rotated key, so it is still allowed.
    const hard = await rotate(acc, k.id);
    assert.deepEqual(await list(acc, k.id), [{ secretKey: prefixOf(hard), expiresAt: null }, ...before.slice(1)]);
    // The first rotated key expires: it is still listed, but no longer counts.
    h().clock.advance(60 * SEC);
    const next = await rotate(acc, k.id, { expiresAt: at(DAY) });
    const now = await list(acc, k.id);
    assert.equal(now.length, 7);
    assert.deepEqual(now[0], { secretKey: prefixOf(next), expiresAt: null });
    fails(await req(acc, 'POST', url(k.id), { expiresAt: at(DAY) }), 400, /already has 5 rotated secret keys/);
    assert.deepEqual(ok(await req(acc, 'DELETE', url(k.id, now[3].secretKey))), { success: true });
    await rotate(acc, k.id, { expiresAt: at(DAY) });
    assert.equal((await list(acc, k.id, '?activeOnly=true')).length, 6);
  });

  test('expiresAt bounds: 60 s to 366 days ahead inclusive; 59 s, the past, 367 days → 400 and nothing changes', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const soon = 'expiresAt must be at least 60 seconds in the future';
    const far = 'expiresAt must be at most 366 days in the future';
    for (const [ms, message] of [[59 * SEC, soon], [60 * SEC - 1, soon], [0, soon], [-DAY, soon], [367 * DAY, far], [366 * DAY + 1, far]] as const) {
      fails(await req(acc, 'POST', url(k.id), { expiresAt: at(ms) }), 400, [message]);
    }
    fails(await req(acc, 'POST', url(k.id), { expiresAt: '2000-01-01T00:00:00Z' }), 400, [soon]);
    fails(await req(acc, 'POST', url(k.id), { expiresAt: '9999-12-31T23:59:59Z' }), 400, [far]);
    assert.deepEqual(await list(acc, k.id), [{ secretKey: prefixOf(k.secret), expiresAt: null }]);
    const a = await rotate(acc, k.id, { expiresAt: at(60 * SEC) });
    await rotate(acc, k.id, { expiresAt: at(366 * DAY) });
    const keys = await list(acc, k.id);
    assert.deepEqual(keys.slice(1).map((x: { expiresAt: string }) => x.expiresAt), [at(60 * SEC), at(366 * DAY)]);
    assert.equal(keys[1].secretKey, prefixOf(k.secret));
    assert.equal(keys[2].secretKey, prefixOf(a));
  });

  test('expiresAt form: UTC date-time ending in Z (milliseconds optional); anything else → 400 naming it', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const base = at(DAY).slice(0, 19); // YYYY-MM-DDTHH:MM:SS
    for (const bad of [`${base}`, `${base}+00:00`, `${base}.1Z`, `${base}.12Z`, `${base}.1234Z`, `${base}z`, base.slice(0, 10), ` ${base}Z`, `${base}Z `, '', 'tomorrow']) {
      fails(await req(acc, 'POST', url(k.id), { expiresAt: bad }), 400, [EXPIRES_MESSAGE]);
    }
    for (const bad of [1_800_000_000_000, null, true, {}]) fails(await req(acc, 'POST', url(k.id), { expiresAt: bad }), 400, ['expiresAt must be a string']);
    const year = base.slice(0, 4);
    for (const bad of [`${year}-13-01T00:00:00Z`, `${year}-02-30T00:00:00Z`, `${year}-04-31T00:00:00Z`, `${year}-06-01T24:00:00Z`, `${year}-06-01T12:60:00Z`, `${year}-06-01T12:00:60Z`]) {
      fails(await req(acc, 'POST', url(k.id), { expiresAt: bad }), 400, ['expiresAt must be a valid date-time']);
    }
    fails(await req(acc, 'POST', url(k.id), { expiresAt: `${base}Z`, extra: 1 }), 400, ['property extra should not exist']);
    fails(await req(acc, 'POST', url(k.id), []), 400, ['body must be a JSON object']);
    assert.deepEqual(await list(acc, k.id), [{ secretKey: prefixOf(k.secret), expiresAt: null }]);
    await rotate(acc, k.id, { expiresAt: `${base}Z` });
    await rotate(acc, k.id, { expiresAt: `${base}.250Z` });
    assert.deepEqual((await list(acc, k.id)).slice(1).map((x: { expiresAt: string }) => x.expiresAt), [`${base}.000Z`, `${base}.250Z`]);
  });

  test('PATCH changes the expiry of a rotated key: 200 { secretKey: { secretKey, expiresAt } }; same bounds; the permanent or an expired key → 400', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const p = prefixOf(k.secret);
    fails(await req(acc, 'PATCH', url(k.id, p), { expiresAt: at(DAY) }), 400, [`secret key ${p} is the permanent key of keyset ${k.id}; only a key with an expiry can be changed`]);
    const current = await rotate(acc, k.id, { expiresAt: at(DAY) });
    const r = ok(await req(acc, 'PATCH', url(k.id, p), { expiresAt: at(5 * DAY) }));
    assert.deepEqual(r, { secretKey: { secretKey: p, expiresAt: at(5 * DAY) } });
    assert.deepEqual(await list(acc, k.id), [{ secretKey: prefixOf(current), expiresAt: null }, { secretKey: p, expiresAt: at(5 * DAY) }]);
    assert.deepEqual(ok(await req(acc, 'PATCH', url(k.id, p), { expiresAt: at(60 * SEC) })).secretKey.expiresAt, at(60 * SEC));
    assert.deepEqual(ok(await req(acc, 'PATCH', url(k.id, p), { expiresAt: at(366 * DAY) })).secretKey.expiresAt, at(366 * DAY));
    fails(await req(acc, 'PATCH', url(k.id, p), { expiresAt: at(59 * SEC) }), 400, ['expiresAt must be at least 60 seconds in the future']);
    fails(await req(acc, 'PATCH', url(k.id, p), { expiresAt: at(367 * DAY) }), 400, ['expiresAt must be at most 366 days in the future']);
    fails(await req(acc, 'PATCH', url(k.id, p), {}), 400, ['expiresAt is required']);
    fails(await req(acc, 'PATCH', url(k.id, p), { expiresAt: 'soon' }), 400, [EXPIRES_MESSAGE]);
    fails(await req(acc, 'PATCH', url(k.id, p), { expiresAt: at(DAY), secretKey: 'x' }), 400, ['property secretKey should not exist']);
    fails(await req(acc, 'PATCH', url(k.id, prefixOf(current)), { expiresAt: at(DAY) }), 400, /is the permanent key/);
    assert.deepEqual((await list(acc, k.id))[1], { secretKey: p, expiresAt: at(366 * DAY) });
    ok(await req(acc, 'PATCH', url(k.id, p), { expiresAt: at(60 * SEC) }));
    h().clock.advance(60 * SEC);
    fails(await req(acc, 'PATCH', url(k.id, p), { expiresAt: at(DAY) }), 400, [`secret key ${p} has expired; an expired key cannot be renewed`]);
  });

  test('DELETE removes a rotated key, expired or not: 200 { success: true }; the permanent key → 400; then → 404', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const p = prefixOf(k.secret);
    fails(await req(acc, 'DELETE', url(k.id, p)), 400, [`secret key ${p} is the permanent key of keyset ${k.id}; only a key with an expiry can be deleted`]);
    const b = await rotate(acc, k.id, { expiresAt: at(60 * SEC) });
    const c = await rotate(acc, k.id, { expiresAt: at(DAY) });
    fails(await req(acc, 'DELETE', url(k.id, prefixOf(c))), 400, /is the permanent key/);
    assert.deepEqual(ok(await req(acc, 'DELETE', url(k.id, prefixOf(b)))), { success: true });
    assert.deepEqual(await list(acc, k.id), [{ secretKey: prefixOf(c), expiresAt: null }, { secretKey: p, expiresAt: at(60 * SEC) }]);
    fails(await req(acc, 'DELETE', url(k.id, prefixOf(b))), 404, [`secret key ${prefixOf(b)} not found in keyset ${k.id}`]);
    h().clock.advance(2 * 60 * SEC);
    assert.deepEqual(ok(await req(acc, 'DELETE', url(k.id, p))), { success: true });
    assert.deepEqual(await list(acc, k.id), [{ secretKey: prefixOf(c), expiresAt: null }]);
  });

  test('the prefix: exactly sec-c- and 5 alphanumerics (never the whole key), matched case-sensitively; unknown → 404', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    const b = await rotate(acc, k.id, { expiresAt: at(DAY) });
    const p = prefixOf(k.secret);
    for (const bad of [k.secret, 'sec-c-abcd', 'sec-c-abcdef', 'pub-c-abcde', 'SEC-C-abcde', 'sec-c-ab_de', 'sec-c-ab-de', 'sec-c-ab%20d', 'abcde']) {
      fails(await req(acc, 'PATCH', url(k.id, bad), { expiresAt: at(DAY) }), 400, [PREFIX_MESSAGE]);
      fails(await req(acc, 'DELETE', url(k.id, bad)), 400, [PREFIX_MESSAGE]);
    }
    const flipped = `sec-c-${[...p.slice(6)].map((ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase())).join('')}`;
    const unknown = ['sec-c-00000', 'sec-c-00001', 'sec-c-00002'].filter((x) => x !== p && x !== prefixOf(b))[0]!;
    for (const other of [unknown, ...(flipped !== p && flipped !== prefixOf(b) ? [flipped] : [])]) {
      fails(await req(acc, 'PATCH', url(k.id, other), { expiresAt: at(DAY) }), 404, [`secret key ${other} not found in keyset ${k.id}`]);
      fails(await req(acc, 'DELETE', url(k.id, other)), 404, [`secret key ${other} not found in keyset ${k.id}`]);
    }
    // Another keyset's rotated key is not found through this one.
    const k2 = await keyset(acc);
    fails(await req(acc, 'DELETE', url(k2.id, p)), 404, [`secret key ${p} not found in keyset ${k2.id}`]);
    assert.equal((await list(acc, k.id)).length, 2);
  });

  test('an unknown or another account\'s keyset → the same 404 on every route, nothing changes; a malformed keyset id → 400', async () => {
    const acc = await h().account();
    const other = await h().account();
    const theirs = await keyset(other);
    await rotate(other, theirs.id, { expiresAt: at(DAY) });
    const before = await list(other, theirs.id);
    const p = prefixOf(theirs.secret);
    for (const id of [theirs.id, String(Number(theirs.id) + 1_000_000), '999999999999999']) {
      const message = [`keyset ${id} not found`];
      fails(await req(acc, 'GET', url(id)), 404, message);
      fails(await req(acc, 'GET', `${url(id)}?activeOnly=true`), 404, message);
      fails(await req(acc, 'POST', url(id)), 404, message);
      fails(await req(acc, 'POST', url(id), { expiresAt: at(DAY) }), 404, message);
      fails(await req(acc, 'PATCH', url(id, p), { expiresAt: at(2 * DAY) }), 404, message);
      fails(await req(acc, 'DELETE', url(id, p)), 404, message);
    }
    assert.deepEqual(await list(other, theirs.id), before);
    for (const id of ['abc', '0', '-1', '1.5', '0x1']) {
      fails(await req(acc, 'GET', url(id)), 400, /^id /);
      fails(await req(acc, 'POST', url(id)), 400, /^id /);
      fails(await req(acc, 'PATCH', url(id, p), { expiresAt: at(DAY) }), 400, /^id /);
      fails(await req(acc, 'DELETE', url(id, p)), 400, /^id /);
    }
  });

  test('keysets:read lists; keysets:write rotates, changes and deletes (403 otherwise, nothing changes)', async () => {
    const acc = await h().account();
    const k = await keyset(acc);
    await rotate(acc, k.id, { expiresAt: at(DAY) });
    const keyFor = async (permissions: Permission[]) => (await h().accounts.createApiKey({ accountId: acc.accountId, permissions })).key;
    const read = await keyFor(['keysets:read']);
    const write = await keyFor(['keysets:write']);
    const neither = await keyFor(['oem:read', 'oem:write', 'apps:read', 'apps:write']);
    const before = await list(acc, k.id);
    const p = prefixOf(k.secret);
    for (const key of [read, neither]) {
      fails(await req(key, 'POST', url(k.id)), 403, ['this API key lacks the keysets:write permission']);
      fails(await req(key, 'POST', url(k.id), { expiresAt: at(DAY) }), 403, /keysets:write/);
      fails(await req(key, 'PATCH', url(k.id, p), { expiresAt: at(2 * DAY) }), 403, /keysets:write/);
      fails(await req(key, 'DELETE', url(k.id, p)), 403, /keysets:write/);
    }
    for (const key of [write, neither]) fails(await req(key, 'GET', url(k.id)), 403, ['this API key lacks the keysets:read permission']);
    assert.deepEqual(await list(read, k.id), before);
    ok(await req(write, 'PATCH', url(k.id, p), { expiresAt: at(2 * DAY) }));
    ok(await req(write, 'DELETE', url(k.id, p)));
    ok(await req(write, 'POST', url(k.id)), 201);
  });

  test('every known version serves every secret-key route (since 2025-11-15), 2026-03-23 included, for a non-OEM account with a Bearer key', async () => {
    assert.ok(VERSIONS.includes('2026-03-23'));
    const acc = await h().account({ oem: false });
    const bearer = `Bearer ${acc.key}`;
    const k = await keyset(acc);
    for (const v of VERSIONS) {
      const made = await req(bearer, 'POST', url(k.id), { expiresAt: at(DAY) }, v);
      const p = prefixOf(ok(made, 201).secretKey);
      const rotated = (await list(acc, k.id))[1].secretKey;
      const responses = [made, await req(bearer, 'GET', `${url(k.id)}?activeOnly=true`, undefined, v),
        await req(bearer, 'PATCH', url(k.id, rotated), { expiresAt: at(2 * DAY) }, v), await req(bearer, 'DELETE', url(k.id, rotated), undefined, v),
        await req(bearer, 'POST', url(k.id), undefined, v)];
      for (const [i, r] of responses.entries()) {
        ok(r, i === 0 || i === 4 ? 201 : 200);
        assert.equal(r.headers['pubnub-version'], v);
      }
      assert.notEqual(p, rotated);
    }
    fails(await req(bearer, 'GET', url(k.id), undefined, '2025-11-14'), 400, /known versions/);
  });
});
