// GET /v2/oem/customers (CONTRACT §4.2): order, summary shape and counts, filters, and the
// limit/cursor extension, including a walk while customers come and go between pages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fails, ISO, ok } from './helpers/assertions.js';
import { describeEachStore, type Harness, type TestAccount } from './helpers/harness.js';

const URL = '/v2/oem/customers';
const T0 = Date.parse('2031-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

interface Summary { id: string; externalId: string; name: string; created: string; updated: string; appCount: number; keysetCount: number }

async function create(h: () => Harness, acc: TestAccount, externalId: string, keysetIds?: number[]) {
  const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId, name: `N ${externalId}`, ...(keysetIds ? { keysetIds } : {}) } });
  return ok(r).result as { id: string; externalId: string; created: string };
}

/** The whole list (no limit: the streamed path). */
async function list(h: () => Harness, acc: TestAccount, query = ''): Promise<Summary[]> {
  const r = await h().request({ method: 'GET', url: `${URL}${query}`, key: acc.key });
  const body = ok(r);
  assert.deepEqual(Object.keys(body), ['result']);
  assert.equal(r.headers['pubnub-version'], '2026-02-09');
  assert.ok(r.headers['request-id']);
  return body.result;
}

/** Every page from the first until next is null: the rows and the page bodies. */
async function walk(h: () => Harness, acc: TestAccount, limit: number, query = '', between?: (page: Summary[]) => Promise<void>) {
  const rows: Summary[] = [];
  const pages: { result: Summary[]; next: string | null }[] = [];
  let cursor: string | null | undefined;
  do {
    const q = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}${query}`;
    const page = ok(await h().request({ method: 'GET', url: URL + q, key: acc.key }));
    assert.deepEqual(Object.keys(page).sort(), ['next', 'result']);
    assert.ok(page.result.length <= limit);
    assert.ok(page.next === null || (typeof page.next === 'string' && page.next.length > 0), JSON.stringify(page.next));
    pages.push(page);
    rows.push(...page.result);
    cursor = page.next;
    assert.ok(pages.length < 200, 'the walk does not end');
    if (cursor !== null && between) await between(page.result);
  } while (cursor !== null);
  return { rows, pages };
}

const byCreatedThenId = (a: { created: string; id: string }, b: { created: string; id: string }) =>
  a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

describeEachStore('list customers', (h) => {
  test('ordered by created then id, each summary exactly {id, externalId, name, created, updated, appCount, keysetCount}', async () => {
    const acc = await h().account();
    const a = await h().keysets(acc, 2);
    const b = await h().keysets(acc, 1);
    h().clock.freeze(at(0));
    const both = await create(h, acc, 'both-apps', [...a.keysetIds, ...b.keysetIds]);
    h().clock.advance(1000);
    const none = await create(h, acc, 'no-keysets');
    h().clock.freeze(at(-1000)); // created before `both`, though inserted after it
    const early = await create(h, acc, 'early');
    h().clock.freeze(at(5000)); // three with one created: the ids break the tie
    const ties = [await create(h, acc, 'tie-1'), await create(h, acc, 'tie-2'), await create(h, acc, 'tie-3')];

    const result = await list(h, acc);
    const expected = [both, none, early, ...ties].sort(byCreatedThenId);
    assert.deepEqual(result.map((s) => s.id), expected.map((c) => c.id));
    assert.deepEqual(result.slice(0, 2).map((s) => s.externalId), ['early', 'both-apps']);
    assert.deepEqual(result.slice(3).map((s) => s.id), ties.map((c) => c.id).sort());
    for (const s of result) {
      assert.deepEqual(Object.keys(s).sort(), ['appCount', 'created', 'externalId', 'id', 'keysetCount', 'name', 'updated']);
      assert.match(s.created, ISO);
      assert.equal(s.updated, s.created);
      assert.equal(s.name, `N ${s.externalId}`);
    }
    const summary = (id: string) => result.find((s) => s.id === id)!;
    assert.deepEqual(summary(both.id), { id: both.id, externalId: 'both-apps', name: 'N both-apps', created: at(0), updated: at(0), appCount: 2, keysetCount: 3 });
    assert.deepEqual([summary(none.id).appCount, summary(none.id).keysetCount], [0, 0]);
  });

  test('appId (a decimal string) keeps the customers holding a keyset of that app', async () => {
    const acc = await h().account();
    const other = await h().account();
    const a = await h().keysets(acc, 3);
    const b = await h().keysets(acc, 2);
    const empty = await h().keysets(acc, 1);
    const theirs = await h().keysets(other, 1);
    h().clock.freeze(at(0));
    await create(h, other, 'theirs', theirs.keysetIds);
    const onlyA = await create(h, acc, 'only-a', [a.keysetIds[0]!, a.keysetIds[1]!]);
    h().clock.advance(1000);
    await create(h, acc, 'only-b', [b.keysetIds[0]!]);
    h().clock.advance(1000);
    const aAndB = await create(h, acc, 'a-and-b', [a.keysetIds[2]!, b.keysetIds[1]!]);
    h().clock.advance(1000);
    await create(h, acc, 'bare');

    const ids = async (q: string) => (await list(h, acc, q)).map((s) => s.externalId);
    assert.deepEqual(await ids(`?appId=${a.appId}`), ['only-a', 'a-and-b']);
    assert.deepEqual(await ids(`?appId=${b.appId}`), ['only-b', 'a-and-b']);
    assert.deepEqual(await ids(`?appId=${empty.appId}`), []);
    assert.deepEqual(await ids(`?appId=${theirs.appId}`), [], 'another account\'s app matches nothing');
    assert.deepEqual(await ids('?appId=999999999'), []);
    assert.deepEqual(await ids('?appId=999999999999999'), [], 'an unknown app id is simply not found');
    const [one, two] = await list(h, acc, `?appId=${a.appId}`);
    assert.deepEqual([one!.id, one!.appCount, one!.keysetCount], [onlyA.id, 1, 2]);
    assert.deepEqual([two!.id, two!.appCount, two!.keysetCount], [aAndB.id, 2, 2], 'the counts are not narrowed by the filter');
    for (const bad of ['x', '-1', '1.5', '']) {
      fails(await h().request({ method: 'GET', url: `${URL}?appId=${bad}`, key: acc.key }), 400, /^appId must match pattern /);
    }
  });

  test('externalId= is an exact, case-sensitive match', async () => {
    const acc = await h().account();
    for (const e of ['abc', 'abcd', 'ABC', 'xabc', 'ab']) await create(h, acc, e);
    assert.deepEqual((await list(h, acc, '?externalId=abc')).map((s) => s.externalId), ['abc']);
    assert.deepEqual(await list(h, acc, '?externalId=nope'), []);
    assert.deepEqual(await list(h, acc, '?externalId=ab%25'), []);
    const paged = ok(await h().request({ method: 'GET', url: `${URL}?externalId=ABC&limit=5`, key: acc.key }));
    assert.deepEqual([paged.result.map((s: Summary) => s.externalId), paged.next], [['ABC'], null]);
  });

  test('another account\'s customers never appear', async () => {
    const acc = await h().account();
    const other = await h().account();
    const mine = await create(h, acc, 'shared');
    const theirs = await create(h, other, 'shared');
    await create(h, other, 'only-theirs');
    assert.deepEqual((await list(h, acc)).map((s) => s.id), [mine.id]);
    assert.deepEqual((await list(h, acc, '?externalId=only-theirs')), []);
    assert.deepEqual((await walk(h, acc, 1)).rows.map((s) => s.id), [mine.id]);
    assert.ok((await list(h, other)).some((s) => s.id === theirs.id));
    assert.deepEqual(await list(h, await h().account()), [], 'a new account has none');
  });

  test('unknown parameters, a bad limit and a bad cursor are refused', async () => {
    const acc = await h().account();
    await create(h, acc, 'one');
    const get = (q: string) => h().request({ method: 'GET', url: URL + q, key: acc.key });
    fails(await get('?foo=1'), 400, ['property foo should not exist']);
    fails(await get('?page=1'), 400, ['property page should not exist']);
    fails(await get('?limit=0'), 400, ['limit must be at least 1']);
    fails(await get('?limit=-1'), 400, ['limit must be at least 1']);
    fails(await get('?limit=1001'), 400, ['limit must be at most 1000']);
    fails(await get('?limit=x'), 400, ['limit must be an integer']);
    fails(await get('?limit=1.5'), 400, ['limit must be an integer']);
    assert.equal(ok(await get('?limit=1')).result.length, 1);
    assert.equal(ok(await get('?limit=1000')).next, null);
    fails(await get('?cursor=abc'), 400, ['cursor needs limit']);
    const first = ok(await get('?limit=1'));
    assert.equal(first.next, null);
    const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const cursor of ['garbage', '!!!', forged({}), forged(null), forged([1, 2]), forged(['x']), forged([]), forged(7), 'W10']) {
      fails(await get(`?limit=2&cursor=${encodeURIComponent(cursor)}`), 400, ['cursor is not a cursor this server issued']);
    }
    fails(await get(`?limit=2&cursor=${'a'.repeat(1025)}`), 400, /cursor/);
  });

  test('limit is a decimal integer: hex, exponent and space-padded forms are refused', async () => {
    const acc = await h().account();
    for (const limit of ['0x2', '1e1', '%202', '2%20']) {
      fails(await h().request({ method: 'GET', url: `${URL}?limit=${limit}`, key: acc.key }), 400, /^limit /);
    }
  });

  test('a cursor this server could not have issued is refused', async () => {
    const acc = await h().account();
    await create(h, acc, 'one');
    const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const cursor of [forged('st'), forged(['not-a-date', 'x']), forged([at(0), 'id', 'extra']), forged([at(0), ''])]) {
      fails(await h().request({ method: 'GET', url: `${URL}?limit=2&cursor=${cursor}`, key: acc.key }), 400, ['cursor is not a cursor this server issued']);
    }
  });

  test('walking pages of 2, 3 and 7 visits every customer exactly once, in order', async () => {
    const acc = await h().account();
    h().clock.freeze(at(0));
    for (let i = 0; i < 21; i++) {
      if (i % 3 === 0) h().clock.advance(1000); // three per created timestamp: ties on page boundaries
      await create(h, acc, `w${i}`);
    }
    const all = await list(h, acc);
    assert.equal(all.length, 21);
    assert.deepEqual([...all].sort(byCreatedThenId), all);
    for (const limit of [1, 2, 3, 7, 20, 21, 1000]) {
      const { rows, pages } = await walk(h, acc, limit);
      assert.deepEqual(rows, all, `limit ${limit}`);
      assert.equal(pages.length, Math.ceil(21 / limit), `limit ${limit}: a full last page is still the last`);
      for (const p of pages.slice(0, -1)) assert.equal(p.result.length, limit);
    }
    const empty = ok(await h().request({ method: 'GET', url: `${URL}?limit=5`, key: (await h().account()).key }));
    assert.deepEqual(empty, { result: [], next: null });
  });

  test('paging combines with the appId filter', async () => {
    const acc = await h().account();
    const a = await h().keysets(acc, 5);
    const expected: string[] = [];
    h().clock.freeze(at(0));
    for (let i = 0; i < 9; i++) {
      h().clock.advance(1000);
      const c = await create(h, acc, `f${i}`, i % 2 === 0 ? [a.keysetIds[i / 2]!] : undefined);
      if (i % 2 === 0) expected.push(c.id);
    }
    const { rows } = await walk(h, acc, 2, `&appId=${a.appId}`);
    assert.deepEqual(rows.map((s) => s.id), expected);
  });

  test('a walk never skips or repeats a row while customers are created and deleted between pages', async () => {
    for (const limit of [3, 5]) {
      const acc = await h().account();
      const del = (id: string) => h().request({ method: 'DELETE', url: `${URL}/${id}`, key: acc.key, version: '2026-03-01' });
      h().clock.freeze(at(limit * 100_000));
      const start: string[] = [];
      for (let i = 0; i < 30; i++) {
        if (i % 3 === 0) h().clock.advance(1000);
        start.push((await create(h, acc, `l${limit}-${i}`)).id);
      }
      const end = h().clock.now().getTime();
      const deleted = new Set<string>();
      const future: string[] = [];
      let n = 0;
      const seenSoFar = new Set<string>();
      const { rows } = await walk(h, acc, limit, '', async (page) => {
        n++;
        for (const s of page) seenSoFar.add(s.id);
        // The row the cursor points at goes away.
        const last = page[page.length - 1]!;
        ok(await del(last.id));
        deleted.add(last.id);
        // A row not seen yet goes away.
        const ahead = start.find((id) => !seenSoFar.has(id) && !deleted.has(id) && start.indexOf(id) % 4 === 1);
        if (ahead) {
          ok(await del(ahead));
          deleted.add(ahead);
        }
        // New rows: one before the cursor, one tied with it, one after everything.
        h().clock.freeze(at(-n * 1000));
        await create(h, acc, `past-${limit}-${n}`);
        h().clock.freeze(last.created);
        await create(h, acc, `tie-${limit}-${n}`);
        h().clock.freeze(new Date(end + n * 1000).toISOString());
        future.push((await create(h, acc, `future-${limit}-${n}`)).id);
      });
      const ids = rows.map((s) => s.id);
      assert.equal(new Set(ids).size, ids.length, 'no row twice');
      assert.deepEqual([...rows].sort(byCreatedThenId), rows, 'in order across pages');
      const stable = start.filter((id) => !deleted.has(id));
      assert.ok(stable.length >= 10 && n >= 5, `a meaningful walk (stable ${stable.length}, pages ${n + 1})`);
      for (const id of stable) assert.equal(ids.filter((x) => x === id).length, 1, `stable row ${id} seen once`);
      for (const id of future) assert.ok(ids.includes(id), 'a row created ahead of the cursor is reached');
      for (const id of deleted) if (!seenSoFar.has(id)) assert.ok(!ids.includes(id), 'a row deleted ahead is not served');
    }
  });
});
