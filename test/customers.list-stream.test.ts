// GET /v2/oem/customers without limit streams the whole list (CONTRACT §4.2): 200,000 customers
// (about 40 MB of JSON) pass through a real server process whose heap is capped at 64 MB, a cap
// the control below shows a materialised list of the same customers cannot fit in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachStore } from './helpers/harness.js';
import { scope, startServerProcess } from './helpers/process.js';

const N = 200_000;
const HEAP_MB = 64;
const BASE = Date.parse('2030-01-01T00:00:00.000Z');
const externalId = (i: number) => `e${String(i).padStart(6, '0')}`;
const created = (i: number) => new Date(BASE + i).toISOString();

test(`control: the same ${N} summaries, materialised and serialised, overflow a ${HEAP_MB} MB heap`, () => {
  const script = `
    const rows = [];
    for (let i = 0; i < ${N}; i++) {
      const at = new Date(${BASE} + i).toISOString();
      rows.push({ id: crypto.randomUUID(), externalId: 'e' + String(i).padStart(6, '0'), name: 'Customer number ' + i,
        created: at, updated: at, appCount: 0, keysetCount: 0 });
    }
    process.stdout.write(String(JSON.stringify({ result: rows }).length));`;
  const capped = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(capped.status, 0, 'a materialised list fits the heap: the streaming test below would prove nothing');
  assert.match(capped.stderr, /heap out of memory|Reached heap limit/);
  // Without the cap the same script succeeds, and the JSON is about 40 MB.
  const free = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(free.status, 0, free.stderr);
  assert.ok(Number(free.stdout) > 35_000_000, free.stdout);
});

describeEachStore('streamed customer list', (h) => {
  test(`${N} customers stream through a server process with a ${HEAP_MB} MB heap`, { timeout: 120_000 }, async (t) => {
    const defer = scope(t);
    const acc = await h().account();
    const other = await h().account();
    // Seeded directly in the store, in batches, in one transaction; a few of another account's too.
    await h().store.write(async (trx) => {
      for (let i = 0; i < N; i += 500) {
        const rows = [];
        for (let j = i; j < Math.min(N, i + 500); j++) {
          rows.push({ id: randomUUID(), account_id: acc.accountId, external_id: externalId(j), name: `Customer number ${j}`, created_at: created(j), updated_at: created(j) });
        }
        await trx.insertInto('customers').values(rows).execute();
      }
      await trx.insertInto('customers').values([0, 1, 2].map((j) => ({
        id: randomUUID(), account_id: other.accountId, external_id: `other${j}`, name: 'Not yours', created_at: created(j), updated_at: created(j),
      }))).execute();
    });

    const server = await startServerProcess({ DATABASE_URL: h().handle.url, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` });
    defer(() => server.stop());
    const res = await fetch(`${server.baseUrl}/v2/oem/customers`, { headers: { authorization: acc.key, 'pubnub-version': '2026-02-09' } });
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^application\/json/);
    assert.equal(res.headers.get('content-length'), null, 'streamed, so the length is not known up front');

    // Read incrementally: every externalId, in order, across chunk boundaries.
    const MARK = '"externalId":"';
    const decoder = new TextDecoder();
    let buffer = '';
    let head = '';
    let tail = '';
    let count = 0;
    let bytes = 0;
    let outOfOrder = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      const text = decoder.decode(chunk, { stream: true });
      if (head.length < 16) head += text.slice(0, 16 - head.length);
      tail = (tail + text).slice(-16);
      buffer += text;
      for (;;) {
        const at = buffer.indexOf(MARK);
        if (at < 0) break;
        const end = buffer.indexOf('"', at + MARK.length);
        if (end < 0) break;
        if (buffer.slice(at + MARK.length, end) !== externalId(count)) outOfOrder++;
        count++;
        buffer = buffer.slice(end + 1);
      }
      if (buffer.indexOf(MARK) < 0) buffer = buffer.slice(-MARK.length);
    }
    assert.equal(head.slice(0, 11), '{"result":[');
    assert.ok(tail.endsWith('}]}'), tail);
    assert.equal(count, N);
    assert.equal(outOfOrder, 0, 'the customers come in created order, each once, only the caller\'s');
    assert.ok(bytes > 35_000_000, `${bytes} bytes`);

    // Still alive and serving.
    assert.equal(server.child.exitCode, null, server.stderr());
    const health = await fetch(`${server.baseUrl}/healthz`);
    assert.equal(health.status, 200);
    const again = await fetch(`${server.baseUrl}/v2/oem/customers?limit=2`, { headers: { authorization: acc.key, 'pubnub-version': '2026-02-09' } });
    assert.deepEqual((await again.json()).result.map((s: { externalId: string }) => s.externalId), [externalId(0), externalId(1)]);
    assert.doesNotMatch(server.stderr(), /heap out of memory/);
  });
});
