// Crash safety: a concurrent write load over real HTTP, the server killed with SIGKILL at a random
// moment, then restarted on the same store. Every write acknowledged with a 2xx must be there and
// whole; a request in flight at the kill may or may not have taken effect, but only all or nothing.
// Replay the kill moments of a failure with TEST_CRASH_SEED=<seed> (printed in the diagnostics).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { openStore, parseStoreUrl } from '../src/db/store.js';
import { STORE_KINDS } from './helpers/harness.js';
import { api, emptyStore, scope, startServerProcess, type ServerProcess } from './helpers/process.js';
import { seededRandom } from './helpers/random.js';
import { scaled } from './helpers/scale.js';

const ROUNDS = scaled(3);
const CLIENTS = 12;
const MAX_OPS_PER_CLIENT = 2_000; // a bound on the load; the kill (≤ 1.5 s in) always comes first
const HEADERS = { 'PubNub-Version': '2026-03-01' }; // DELETE of a customer is since 2026-03-01
const SEED = process.env.TEST_CRASH_SEED ? Number(process.env.TEST_CRASH_SEED) : randomBytes(4).readUInt32LE();

interface Customer { id: string; externalId: string; name: string; keysets: Set<number> }
type Op =
  | { op: 'create'; externalId: string; name: string; keysetIds: number[] }
  | { op: 'assign'; id: string; keysetIds: number[] }
  | { op: 'unassign'; id: string; keysetId: number }
  | { op: 'delete'; id: string }
  | { op: 'keyset' };
interface Snapshot { customers: Map<string, { externalId: string; name: string; keysets: number[] }>; held: number[]; orphans: number; keysets: Set<number> }

const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);
const idsOf = (detail: { keysets: { id: number }[] }) => sorted(detail.keysets.map((k) => k.id));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the store holds (one account: the bootstrap key's), read through the project's store layer on a connection of its own. */
async function snapshot(url: string): Promise<Snapshot> {
  const store = await openStore(url);
  try {
    const rows = await store.db.selectFrom('customers').select(['id', 'external_id', 'name']).execute();
    const links = await store.db.selectFrom('customer_keysets').select(['keyset_id', 'customer_id']).execute();
    const keysets = await store.db.selectFrom('keysets').select('id').execute();
    const customers = new Map(rows.map((r) => [r.id, { externalId: r.external_id, name: r.name, keysets: [] as number[] }]));
    let orphans = 0;
    for (const l of links) {
      const c = customers.get(l.customer_id);
      if (c) c.keysets.push(Number(l.keyset_id));
      else orphans++;
    }
    for (const c of customers.values()) c.keysets.sort((a, b) => a - b);
    return { customers, held: links.map((l) => Number(l.keyset_id)), orphans, keysets: new Set(keysets.map((k) => Number(k.id))) };
  } finally {
    await store.close();
  }
}

/**
 * The SQLite file as a fresh process finds it after the kill: integrity_check ok, no dangling
 * foreign key, still in WAL mode. With `checkpoint` (the server not yet restarted) the WAL left by
 * the killed process is replayed into the database here; without it the restarted server has
 * already recovered the WAL and this runs beside it.
 */
function inspectSqlite(file: string, checkpoint: boolean): string {
  const walBytes = fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0;
  const db = new SQLite(file);
  try {
    db.pragma('busy_timeout = 5000');
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    if (!checkpoint) return `integrity ok beside the restarted server (WAL ${walBytes} B recovered by it)`;
    // PASSIVE reports the WAL's valid frames (TRUNCATE reports 0 once it has reset the log).
    const [cp] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    assert.ok(cp && cp.busy === 0 && cp.log === cp.checkpointed, `WAL not fully checkpointed: ${JSON.stringify(cp)}`);
    assert.deepEqual(db.pragma('wal_checkpoint(TRUNCATE)'), [{ busy: 0, log: 0, checkpointed: 0 }]);
    assert.equal(fs.statSync(`${file}-wal`).size, 0);
    return `WAL of ${walBytes} B (${cp.log} frames) recovered and checkpointed, integrity ok`;
  } finally {
    db.close();
  }
}

for (const kind of STORE_KINDS) {
  test(`acknowledged writes survive SIGKILL under load, whole, and the store reopens cleanly (${ROUNDS} rounds) [${kind}]`, { timeout: 60_000 * ROUNDS }, async (t) => {
    const defer = scope(t);
    const store = await emptyStore(kind);
    defer(() => store.destroy());
    const key = `oem_crash_${randomBytes(16).toString('hex')}`;
    let proc: ServerProcess | undefined;
    defer(async () => proc?.stop('SIGKILL'));
    const start = async () => {
      proc = await startServerProcess({ DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: key, RATE_LIMIT_MAX: '0' });
      const ready = await api(proc.baseUrl, 'GET', '/readyz');
      assert.equal(ready.status, 200, `readyz after start: ${ready.text}`);
      return proc;
    };
    const call = (p: ServerProcess, method: string, url: string, body?: unknown) => api(p.baseUrl, method, url, { key, body, headers: HEADERS });
    t.diagnostic(`[${kind}] seed ${SEED}, ${ROUNDS} rounds, ${CLIENTS} clients`);
    const started = Date.now();

    let p = await start();
    const app = await call(p, 'POST', '/v2/apps', { name: 'Crash app' });
    assert.equal(app.status, 201, app.text);
    const appId = String(app.json.id);
    const live = new Map<string, Customer>(); // acknowledged (or seen after a kill) and not deleted
    const gone = new Set<string>(); // deleted: acknowledged, or seen gone after a kill
    const known = new Set<number>(); // keysets whose create was acknowledged
    let pool: number[] = []; // keysets known to be free
    const newKeyset = async (srv: ServerProcess) => {
      const r = await call(srv, 'POST', '/v2/keysets', { keyset: { name: 'K', appId, type: 'testing' } });
      assert.equal(r.status, 201, r.text);
      known.add(Number(r.json.keyset.id));
      return Number(r.json.keyset.id);
    };
    for (const id of await Promise.all(Array.from({ length: 40 }, () => newKeyset(p)))) pool.push(id);

    const delayRnd = seededRandom(SEED); // the kill moments depend on the seed alone
    const rnd = seededRandom(SEED ^ 0x9e3779b9); // the load's choices (their interleaving is up to the scheduler)
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;

    for (let round = 0; round < ROUNDS; round++) {
      const killAt = 100 + Math.floor(delayRnd() * 1400);
      const srv = p;
      let killed = false;
      let seq = 0;
      let pending = 0;
      const acked: Record<string, number> = { create: 0, assign: 0, unassign: 0, delete: 0, keyset: 0 };
      const unanswered: Op[] = []; // no response: in flight when the server died
      const unexpected: string[] = [];
      // Every customer is driven by one client only, so the expected state of each is exact.
      const owned: string[][] = Array.from({ length: CLIENTS }, () => []);
      [...live.keys()].forEach((id, i) => owned[i % CLIENTS]!.push(id));

      /** Sends one request; its body on a 2xx, undefined (and the op noted) when the server died. */
      const send = async (o: Op, method: string, url: string, body: unknown, want: number) => {
        if (killed) return undefined; // not sent: the server is gone
        pending++;
        try {
          const r = await call(srv, method, url, body);
          if (r.status !== want) unexpected.push(`${method} ${url} ${JSON.stringify(body)} → ${r.status} ${r.text}`);
          else acked[o.op]!++;
          return r.status === want ? r.json : undefined;
        } catch (error) {
          if (!killed) unexpected.push(`${method} ${url} failed before the kill: ${String(error)}`);
          unanswered.push(o);
          return undefined;
        } finally {
          pending--;
        }
      };
      const take = async (n: number): Promise<number[] | undefined> => {
        const out: number[] = [];
        while (out.length < n) {
          const id = pool.pop();
          if (id !== undefined) out.push(id);
          else {
            const made = await send({ op: 'keyset' }, 'POST', '/v2/keysets', { keyset: { name: 'K', appId, type: 'testing' } }, 201);
            if (!made) return undefined;
            known.add(Number(made.keyset.id));
            out.push(Number(made.keyset.id));
          }
        }
        return out;
      };

      const client = async (c: number) => {
        const mine = owned[c]!;
        for (let n = 0; n < MAX_OPS_PER_CLIENT && !killed && unexpected.length === 0; n++) {
          const r = rnd();
          const roomy = mine.filter((id) => live.get(id)!.keysets.size < 5);
          const holding = mine.filter((id) => live.get(id)!.keysets.size > 0);
          if (r < 0.2 && roomy.length > 0) {
            const cust = live.get(pick(roomy))!;
            const ks = await take(Math.min(5 - cust.keysets.size, 1 + Math.floor(rnd() * 2)));
            if (!ks) return;
            const res = await send({ op: 'assign', id: cust.id, keysetIds: ks }, 'POST', `/v2/oem/customers/${cust.id}/keysets`, { keysetIds: ks }, 200);
            if (!res) return;
            ks.forEach((k) => cust.keysets.add(k));
            assert.deepEqual(idsOf(res.result), sorted(cust.keysets));
          } else if (r < 0.3 && holding.length > 0) {
            const cust = live.get(pick(holding))!;
            const k = pick([...cust.keysets]);
            const res = await send({ op: 'unassign', id: cust.id, keysetId: k }, 'DELETE', `/v2/oem/customers/${cust.id}/keysets/${k}`, undefined, 200);
            if (!res) return;
            cust.keysets.delete(k);
            pool.push(k); // acknowledged free: another customer may take it now
            assert.deepEqual(idsOf(res.result), sorted(cust.keysets));
          } else if (r < 0.4 && mine.length > 0) {
            const cust = live.get(pick(mine))!;
            if (!(await send({ op: 'delete', id: cust.id }, 'DELETE', `/v2/oem/customers/${cust.id}`, undefined, 200))) return;
            live.delete(cust.id);
            gone.add(cust.id);
            mine.splice(mine.indexOf(cust.id), 1);
            pool.push(...cust.keysets);
          } else {
            const ks = rnd() < 0.6 ? await take(1 + Math.floor(rnd() * 3)) : [];
            if (!ks) return;
            const externalId = `r${round}-c${c}-${seq++}`;
            const name = `Customer ${externalId} — Zürich 東京 🚀`; // multi-byte text must come back exactly
            const body = { externalId, name, ...(ks.length > 0 ? { keysetIds: ks } : {}) };
            const res = await send({ op: 'create', externalId, name, keysetIds: ks }, 'POST', '/v2/oem/customers', body, 200);
            if (!res) return;
            assert.deepEqual([res.result.externalId, res.result.name, idsOf(res.result)], [externalId, name, sorted(ks)]);
            live.set(res.result.id, { id: res.result.id, externalId, name, keysets: new Set(ks) });
            mine.push(res.result.id);
          }
        }
      };

      const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      await Promise.race([sleep(killAt), load]);
      const inFlight = pending;
      killed = true;
      srv.child.kill('SIGKILL');
      await srv.exited;
      await load;
      assert.equal(srv.child.signalCode, 'SIGKILL', 'the server was not killed by SIGKILL (it had exited before)');
      assert.deepEqual(unexpected, [], 'a request before the kill got an unexpected answer');
      const ackedTotal = Object.values(acked).reduce((a, b) => a + b, 0);

      const file = kind === 'sqlite' ? parseStoreUrl(store.url).target : '';
      // Even rounds: this test's process recovers the killed server's WAL; odd rounds: the server does.
      let storeNote = kind === 'sqlite' && round % 2 === 0 ? inspectSqlite(file, true) : '';
      p = await start();
      if (kind === 'sqlite' && round % 2 === 1) storeNote = inspectSqlite(file, false);
      if (kind === 'postgres') storeNote = 'readyz 200 after restart';
      const snap = await snapshot(store.url);
      const byExt = new Map([...snap.customers].map(([id, c]) => [c.externalId, { id, ...c }]));

      // Requests in flight at the kill: each took effect completely or not at all.
      let tookEffect = 0;
      const have = (id: string) => snap.customers.get(id)?.keysets ?? [];
      for (const o of unanswered) {
        if (o.op === 'create') {
          const c = byExt.get(o.externalId);
          if (!c) continue;
          assert.deepEqual([c.name, c.keysets], [o.name, sorted(o.keysetIds)], `half-created customer ${o.externalId} (create in flight at the kill)`);
          live.set(c.id, { id: c.id, externalId: o.externalId, name: o.name, keysets: new Set(o.keysetIds) });
          tookEffect++;
        } else if (o.op === 'assign') {
          const cust = live.get(o.id)!;
          const after = sorted(new Set([...cust.keysets, ...o.keysetIds]));
          if (snap.customers.has(o.id) && JSON.stringify(have(o.id)) === JSON.stringify(after)) {
            o.keysetIds.forEach((k) => cust.keysets.add(k));
            tookEffect++;
          }
        } else if (o.op === 'unassign') {
          const cust = live.get(o.id)!;
          if (snap.customers.has(o.id) && !have(o.id).includes(o.keysetId)) {
            cust.keysets.delete(o.keysetId);
            tookEffect++;
          }
        } else if (o.op === 'delete' && !snap.customers.has(o.id)) {
          live.delete(o.id);
          gone.add(o.id);
          tookEffect++;
        }
      }

      // Everything acknowledged (and everything seen above) is there, exactly, and nothing else is.
      for (const c of live.values()) {
        const s = snap.customers.get(c.id);
        assert.ok(s, `acknowledged customer ${c.externalId} (${c.id}) is missing after the kill of round ${round}`);
        assert.deepEqual([s.externalId, s.name, s.keysets], [c.externalId, c.name, sorted(c.keysets)], `customer ${c.externalId} is not whole after round ${round}`);
      }
      for (const id of gone) assert.ok(!snap.customers.has(id), `deleted customer ${id} is back after round ${round}`);
      assert.equal(snap.customers.size, live.size, `customers nobody created: ${[...snap.customers.keys()].filter((id) => !live.has(id))}`);
      assert.equal(new Set(snap.held).size, snap.held.length, 'a keyset is held twice');
      assert.equal(snap.orphans, 0, 'assignments of a customer that does not exist');
      for (const k of known) assert.ok(snap.keysets.has(k), `acknowledged keyset ${k} is missing`);
      // The restarted server serves exactly what the store holds.
      const list = await call(p, 'GET', '/v2/oem/customers');
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(
        new Map(list.json.result.map((c: any) => [c.id, [c.externalId, c.name, c.keysetCount]])),
        new Map([...live.values()].map((c) => [c.id, [c.externalId, c.name, c.keysets.size]])),
      );
      const heldNow = new Set(snap.held);
      pool = [...known].filter((k) => !heldNow.has(k)); // in-flight claims that did not happen are free again

      t.diagnostic(`[${kind}] round ${round + 1}/${ROUNDS}: SIGKILL at ${killAt} ms; ${ackedTotal} acknowledged before it ` +
        `(${Object.entries(acked).map(([k, v]) => `${v} ${k}`).join(', ')}); ${inFlight} in flight → ${unanswered.length} unanswered, ` +
        `${tookEffect} of them took effect, all whole; now ${live.size} customers held whole, ${gone.size} deleted stay gone; ${storeNote}`);
    }

    assert.equal(await p.stop('SIGTERM'), 0);
    t.diagnostic(`[${kind}] ${ROUNDS} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}
