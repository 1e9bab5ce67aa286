// CONTRACT §3 across server processes: three processes started at the same moment on one empty
// store (so migrations and bootstrap race too) take conflicting work spread over all three. No
// process can see another's requests, so only the store's constraints and locks keep the
// invariants; they are therefore checked in the store itself, read-only, after every round, and
// cross-checked against what the responses acknowledged.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { migrationNames } from '../src/db/migrations.js';
import { errorNameFor } from '../src/errors.js';
import { PG_URL, type StoreKind } from './helpers/harness.js';
import { api, emptyStore, scope, startServerProcess, type ApiResponse, type ServerProcess } from './helpers/process.js';
import { seededRandom } from './helpers/random.js';
import { SCALE, scaled } from './helpers/scale.js';

const CUSTOMERS = '/v2/oem/customers';
const ROUNDS = scaled(4);
// Requests per round in each conflict group (× TEST_SCALE). Several deleted customers per round, few
// requests each, so that both orders (assign first, delete first) actually happen in every run.
const N = { dup: scaled(12), claimCreates: scaled(8), claimAssigns: scaled(4), cap: scaled(8), victims: scaled(4), deletes: 3, deleteAssigns: 3, reborn: 3 };

type Route = 'app' | 'keyset' | 'create' | 'assign' | 'delete';
// The statuses the contract and README document for each route as used here (no If-Match, no
// Idempotency-Key): anything else, and any 5xx above all, fails the test.
const DOCUMENTED: Record<Route, number[]> = { app: [201], keyset: [201], create: [200, 400], assign: [200, 400, 404], delete: [200, 404] };
interface Sent { route: Route; url: string; status: number; text: string; json: any }

const heldMsg = (k: number) => `keysetIds: keyset ${k} is already assigned to another customer`;
const usedMsg = (x: string) => `externalId ${x} is already used by another customer`;
const capRe = (id: string) => new RegExp(`^keysetIds: customer ${id} would hold (\\d+) keysets; at most 5 are allowed$`);
const tally = (rs: ApiResponse[]) => rs.reduce<Record<number, number>>((a, r) => ({ ...a, [r.status]: (a[r.status] ?? 0) + 1 }), {});
const ids = (r: ApiResponse): number[] => r.json.result.keysets.map((k: { id: number }) => k.id);
const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);

/** What the store holds, read directly and read-only (not through the server under test). */
interface Snapshot {
  customers: { id: string; account: number; externalId: string }[];
  assignments: { keysetId: number; customerId: string }[];
  keysetAccount: Map<number, number>;
  accounts: number;
  apiKeys: number;
  migrations: string[];
}

async function snapshot(kind: StoreKind, url: string): Promise<Snapshot> {
  const queries = ['select id, account_id, external_id from customers', 'select keyset_id, customer_id from customer_keysets',
    'select id, account_id from keysets', 'select count(*) as n from accounts', 'select count(*) as n from api_keys',
    'select name from kysely_migration order by name'];
  let results: any[][];
  if (kind === 'sqlite') {
    const db = new SQLite(url.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    try {
      results = queries.map((q) => db.prepare(q).all());
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: url }); // url carries the schema's search_path
    await client.connect();
    try {
      await client.query('begin transaction isolation level repeatable read read only'); // one consistent view
      results = [];
      for (const q of queries) results.push((await client.query(q)).rows);
      await client.query('commit');
    } finally {
      await client.end();
    }
  }
  const [c, a, k, acc, keys, mig] = results;
  return {
    customers: c!.map((r) => ({ id: String(r.id), account: Number(r.account_id), externalId: String(r.external_id) })),
    assignments: a!.map((r) => ({ keysetId: Number(r.keyset_id), customerId: String(r.customer_id) })),
    keysetAccount: new Map(k!.map((r) => [Number(r.id), Number(r.account_id)])),
    accounts: Number(acc![0].n), apiKeys: Number(keys![0].n), migrations: mig!.map((r) => String(r.name)),
  };
}

/** CONTRACT §3 over the whole store, whatever any response said. */
function assertInvariants(s: Snapshot): void {
  const live = new Map<string, number>();
  for (const c of s.customers) live.set(`${c.account}/${c.externalId}`, (live.get(`${c.account}/${c.externalId}`) ?? 0) + 1);
  assert.deepEqual([...live].filter(([, n]) => n > 1), [], 'two live customers share an externalId in one account');
  const holders = new Map<number, number>();
  const count = new Map<string, number>();
  const byId = new Map(s.customers.map((c) => [c.id, c]));
  for (const a of s.assignments) {
    holders.set(a.keysetId, (holders.get(a.keysetId) ?? 0) + 1);
    count.set(a.customerId, (count.get(a.customerId) ?? 0) + 1);
    assert.ok(byId.has(a.customerId), `keyset ${a.keysetId} is assigned to absent customer ${a.customerId}`);
    assert.equal(s.keysetAccount.get(a.keysetId), byId.get(a.customerId)!.account, `keyset ${a.keysetId} held across accounts`);
  }
  assert.deepEqual([...holders].filter(([, n]) => n > 1), [], 'a keyset has two holders');
  assert.deepEqual([...count].filter(([, n]) => n > 5), [], 'a customer holds more than 5 keysets');
}

for (const kind of ['sqlite', 'postgres'] as const) {
  const skip = kind === 'postgres' && !PG_URL ? 'TEST_DATABASE_URL is unset' : false;
  test(`3 processes started together on one empty ${kind} store keep CONTRACT §3 under conflicting work (${ROUNDS} rounds, scale ${SCALE})`, { skip }, async (t) => {
    const started = Date.now();
    const defer = scope(t);
    const seed = Number(process.env.TEST_SEED ?? randomBytes(4).readUInt32LE() >>> 1);
    const rand = seededRandom(seed);
    t.diagnostic(`seed ${seed} (TEST_SEED replays the shuffles)`);
    const store = await emptyStore(kind);
    defer(() => store.destroy());
    const key = `oem_mp_${randomBytes(16).toString('hex')}`;
    // All three at once on the empty store: each migrates and tries to bootstrap concurrently.
    const env = { DATABASE_URL: store.url, OEM_BOOTSTRAP_API_KEY: key, RATE_LIMIT_MAX: '0' };
    const settled = await Promise.allSettled([0, 1, 2].map(() => startServerProcess(env, 60_000)));
    const servers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    for (const s of servers) defer(() => s.stop('SIGKILL')); // only if the test fails before the SIGTERM below
    assert.deepEqual(settled.filter((s) => s.status === 'rejected'), [], 'a server failed to start alongside the others');

    const sent: Sent[] = [];
    let rr = 0;
    const call = async (route: Route, method: string, url: string, body?: unknown): Promise<ApiResponse> => {
      const on: ServerProcess = servers[rr++ % servers.length]!;
      const headers: Record<string, string> = route === 'delete' ? { 'PubNub-Version': '2026-03-01' } : {}; // DELETE is since 2026-03-01
      const r = await api(on.baseUrl, method, url, { key, body, headers });
      sent.push({ route, url, status: r.status, text: r.text, json: r.json });
      return r;
    };
    const expectStatus = async (status: number, p: Promise<ApiResponse>) => {
      const r = await p;
      assert.equal(r.status, status, r.text);
      return r.json;
    };
    const appId = (await expectStatus(201, call('app', 'POST', '/v2/apps', { name: 'mp' }))).id as string;
    const keysets = (n: number) => Promise.all(Array.from({ length: n }, async (_, i) =>
      Number((await expectStatus(201, call('keyset', 'POST', '/v2/keysets', { keyset: { name: `k${i}`, appId, type: 'testing' } }))).keyset.id as string)));
    const customer = async (externalId: string, keysetIds: number[] = []) =>
      (await expectStatus(200, call('create', 'POST', CUSTOMERS, { externalId, name: 'n', keysetIds }))).result.id as string;

    let conflicting = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const tag = `r${round}-${randomBytes(3).toString('hex')}`; // fresh externalIds every round
      // Setup, itself spread over the three processes.
      const capSizes = Array.from({ length: N.cap }, (_, i) => 1 + ((i + round) % 3));
      const capPre = round % 3; // keysets the cap customer already holds
      const pool = await keysets(1 + capPre + capSizes.reduce((a, b) => a + b, 0) + N.victims * (1 + N.deleteAssigns));
      const K = pool.shift()!; // the keyset everyone claims
      const pre = pool.splice(0, capPre);
      const capSets = capSizes.map((n) => pool.splice(0, n));
      // Each victim holds d0 (wanted by its reborn successor) and is offered fresh keysets while deleted.
      const victims = Array.from({ length: N.victims }, (_, v) => ({ ext: `${tag}-del${v}`, d0: pool.shift()!, fresh: pool.splice(0, N.deleteAssigns), id: '' }));
      const [C, ...targets] = await Promise.all([customer(`${tag}-cap`, pre), ...Array.from({ length: N.claimAssigns }, (_, i) => customer(`${tag}-target${i}`))]);
      await Promise.all(victims.map(async (v) => (v.id = await customer(v.ext, [v.d0]))));

      // The conflicting work: every group at once, shuffled, dealt round-robin over the processes.
      type Group = string; // dup, claimC, claimA, cap, and del/delA/reborn + the victim's index
      const jobs: { g: Group; i: number; route: Route; method: string; url: string; body?: unknown }[] = [];
      const add = (g: Group, n: number, f: (i: number) => { route: Route; method: string; url: string; body?: unknown }) => {
        for (let i = 0; i < n; i++) jobs.push({ g, i, ...f(i) });
      };
      const dupId = `${tag}-dup`;
      add('dup', N.dup, (i) => ({ route: 'create', method: 'POST', url: CUSTOMERS, body: { externalId: dupId, name: `dup ${i}` } }));
      add('claimC', N.claimCreates, (i) => ({ route: 'create', method: 'POST', url: CUSTOMERS, body: { externalId: `${tag}-claim${i}`, name: 'n', keysetIds: [K] } }));
      add('claimA', N.claimAssigns, (i) => ({ route: 'assign', method: 'POST', url: `${CUSTOMERS}/${targets[i]}/keysets`, body: { keysetIds: [K] } }));
      add('cap', N.cap, (i) => ({ route: 'assign', method: 'POST', url: `${CUSTOMERS}/${C}/keysets`, body: { keysetIds: capSets[i] } }));
      victims.forEach((v, n) => {
        add(`del${n}`, N.deletes, () => ({ route: 'delete', method: 'DELETE', url: `${CUSTOMERS}/${v.id}` }));
        add(`delA${n}`, N.deleteAssigns, (i) => ({ route: 'assign', method: 'POST', url: `${CUSTOMERS}/${v.id}/keysets`, body: { keysetIds: [v.fresh[i]] } }));
        add(`reborn${n}`, N.reborn, (i) => ({ route: 'create', method: 'POST', url: CUSTOMERS, body: { externalId: v.ext, name: `reborn ${i}`, keysetIds: [v.d0] } }));
      });
      for (let i = jobs.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [jobs[i], jobs[j]] = [jobs[j]!, jobs[i]!];
      }
      const res = Object.fromEntries(jobs.map((j) => [j.g, [] as ApiResponse[]])) as Record<Group, ApiResponse[]> & Record<'dup' | 'claimC' | 'claimA' | 'cap', ApiResponse[]>;
      // All in flight together, each started at a random moment within a few ms: a bodiless DELETE is
      // served sooner than an assign, and without the spread the delete nearly always came first.
      await Promise.all(jobs.map(async (j, n) => {
        await new Promise((resolve) => setTimeout(resolve, n === 0 ? 0 : rand() * 15));
        res[j.g]![j.i] = await call(j.route, j.method, j.url, j.body);
      }));
      conflicting += jobs.length;

      // Every response so far: a documented status, never a 5xx, errors in the envelope.
      for (const s of sent) {
        assert.ok(s.status < 500 && DOCUMENTED[s.route].includes(s.status), `${s.route} ${s.url} → ${s.status} ${s.text}`);
        if (s.status >= 400) {
          const { statusCode, error, message, ...rest } = s.json ?? {};
          assert.deepEqual([statusCode, error, rest], [s.status, errorNameFor(s.status), {}], s.text);
          assert.ok(Array.isArray(message) && message.length > 0 && message.every((m: unknown) => typeof m === 'string'), s.text);
        }
      }
      sent.length = 0;

      const snap = await snapshot(kind, store.url);
      assertInvariants(snap);
      const live = new Map(snap.customers.map((c) => [c.id, c]));
      const byExt = new Map(snap.customers.map((c) => [c.externalId, c.id]));
      const heldBy = (id: string) => sorted(snap.assignments.filter((a) => a.customerId === id).map((a) => a.keysetId));
      const holderOf = (k: number) => snap.assignments.find((a) => a.keysetId === k)?.customerId;

      // Duplicate externalId: exactly one 200, the rest 400 naming it; the store holds the winner.
      assert.deepEqual(tally(res.dup), { 200: 1, 400: N.dup - 1 }, `dup, round ${round}`);
      const dupWinner = res.dup.find((r) => r.status === 200)!.json.result;
      assert.equal(byExt.get(dupId), dupWinner.id);
      for (const r of res.dup.filter((x) => x.status === 400)) assert.deepEqual(r.json.message, [usedMsg(dupId)]);

      // One keyset claimed by creates and assigns at once: exactly one claim succeeds, and holds it.
      const claims = [...res.claimC, ...res.claimA];
      assert.deepEqual(tally(claims), { 200: 1, 400: claims.length - 1 }, `claim, round ${round}`);
      for (const r of claims.filter((x) => x.status === 400)) assert.deepEqual(r.json.message, [heldMsg(K)]);
      const claimWinner = claims.find((r) => r.status === 200)!.json.result;
      assert.deepEqual(ids(claims.find((r) => r.status === 200)!), [K]);
      assert.equal(holderOf(K), claimWinner.id);
      res.claimC.forEach((r, i) => assert.equal(byExt.has(`${tag}-claim${i}`), r.status === 200, 'a refused create left a customer behind'));
      for (const id of targets) assert.deepEqual(heldBy(id), id === claimWinner.id ? [K] : []);

      // Assigns that together would pass the cap of 5: the store holds exactly what the 200s added,
      // and every refusal was forced (it would have passed 5 even against the final set).
      const capHeld = heldBy(C);
      const capWon = capSets.filter((_, i) => res.cap[i]!.status === 200);
      assert.deepEqual(capHeld, sorted([...pre, ...capWon.flat()]), `cap, round ${round}`);
      res.cap.forEach((r, i) => {
        if (r.status === 200) {
          const got = ids(r);
          assert.ok(got.length <= 5 && [...pre, ...capSets[i]!].every((k) => got.includes(k)) && got.every((k) => capHeld.includes(k)), r.text);
        } else {
          assert.equal(r.status, 400, r.text);
          const m = capRe(C).exec(r.json.message.length === 1 ? r.json.message[0] : '');
          assert.ok(m && Number(m[1]) > 5 && capHeld.length + capSets[i]!.length > 5, r.text);
        }
      });

      // Deletes racing assigns and re-creates of the same externalId claiming its keyset: one delete
      // wins; the customer and all its assignments are gone; at most one successor, holding d0 only.
      let assignedFirst = 0;
      let rebornWon = 0;
      victims.forEach((v, n) => {
        const [del, delA, reborn] = [res[`del${n}`]!, res[`delA${n}`]!, res[`reborn${n}`]!];
        assert.deepEqual(tally(del), { 200: 1, 404: N.deletes - 1 }, `delete, round ${round}`);
        assert.deepEqual(del.find((r) => r.status === 200)!.json, { success: true });
        for (const r of del.filter((x) => x.status === 404)) assert.deepEqual(r.json.message, [`customer ${v.id} not found`]);
        assert.ok(!live.has(v.id));
        assert.deepEqual(heldBy(v.id), []);
        // No cap here (1 + 3 keysets): an assign that came first is a 200 showing d0, its own keyset and
        // only keysets of other acknowledged assigns; one that came after the delete is a 404.
        const acked = [v.d0, ...v.fresh.filter((_, i) => delA[i]!.status === 200)];
        delA.forEach((r, i) => {
          if (r.status === 404) assert.deepEqual(r.json.message, [`customer ${v.id} not found`]);
          else assert.ok(r.status === 200 && [v.d0, v.fresh[i]].every((k) => ids(r).includes(k!)) && ids(r).every((k) => acked.includes(k)), r.text);
        });
        assignedFirst += delA.filter((r) => r.status === 200).length;
        for (const k of v.fresh) assert.equal(holderOf(k), undefined, `keyset ${k} still held after its customer was deleted`);
        const won = reborn.filter((r) => r.status === 200);
        assert.ok(won.length <= 1, `reborn: ${JSON.stringify(tally(reborn))}`);
        for (const r of reborn.filter((x) => x.status === 400)) assert.ok(r.json.message.every((m: string) => m === usedMsg(v.ext) || m === heldMsg(v.d0)), r.text);
        assert.equal(byExt.get(v.ext), won[0]?.json.result.id);
        assert.equal(holderOf(v.d0), won[0]?.json.result.id);
        if (won[0]) assert.deepEqual(heldBy(won[0].json.result.id), [v.d0]);
        rebornWon += won.length;
      });

      // Migrations ran once each and exactly one process bootstrapped, though all started together.
      assert.deepEqual(snap.migrations, migrationNames(kind));
      assert.deepEqual([snap.accounts, snap.apiKeys], [1, 1]);
      t.diagnostic(`round ${round}: ${jobs.length} conflicting requests (dup ${N.dup}, claim ${claims.length}, cap ${N.cap} → held ${capHeld.length}, ` +
        `${N.victims} deleted × (${N.deletes} deletes, ${N.deleteAssigns} assigns, ${N.reborn} re-creates): ${assignedFirst} assigns beat the delete, ` +
        `${rebornWon} re-creates won)`);
    }

    // No process logged an error (a 5xx, or a failure outside any request), then all stop cleanly.
    for (const s of servers) assert.doesNotMatch(s.stdout(), /"level":(50|60)/, s.stdout().split('\n').filter((l) => /"level":(50|60)/.test(l)).join('\n'));
    assert.deepEqual(await Promise.all(servers.map((s) => s.stop('SIGTERM'))), [0, 0, 0]);
    t.diagnostic(`${kind}: ${ROUNDS} rounds, ${conflicting} conflicting requests, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}
