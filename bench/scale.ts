// The figures at scale (--seed N): a second fresh store filled by `oem seed` before the server
// starts, then get and create (against their empty-store figures), the first page of 100 against
// one near the end of the list, a cursor walk of the whole list, and the server's resident memory
// while it streams every customer in one response. Scenarios alternate round by round, so
// whatever else the machine does meanwhile hits them alike; no baseline runs here.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { BenchOptions, StoreChoice } from './cli.js';
import { percentile, runLoad, type RunStats } from './load.js';
import { CLI_JS, MAIN_JS, serverEnv, startChild, type Child } from './processes.js';
import { KeysetPool, LABELS, plan, type LoadPlan } from './scenarios.js';
import { Api, Seeder, type Seed } from './seed.js';
import { createStore } from './stores.js';
import { flagsOf, summarise, type StoreResult, type Summary } from './suite.js';

export type ScaleScenario = 'get' | 'create' | 'list100' | 'list100-deep';
const SCALE_SCENARIOS: ScaleScenario[] = ['list100', 'list100-deep', 'get', 'create'];
export const SCALE_LABELS: Record<ScaleScenario, string> = {
  get: LABELS.get, create: LABELS.create, list100: 'list: the first page of 100', 'list100-deep': 'list: a page of 100, 99% in (by cursor)',
};
/** Page size of the cursor walk that also finds the cursor near the end. */
const WALK_LIMIT = 1000;
/**
 * How deep the deep page starts: 99% into the list, among seeded customers (the last rows are the
 * few hundred the bench created through the API, which would make it a page of those).
 */
const DEEP = 0.99;

export interface ScaleResult {
  /** As asked for; the store also holds what the bench then creates through the API. */
  customers: number;
  keysets: number;
  /** `oem seed`'s own figure, and its whole process (node start and migrations included). */
  seedSeconds: number;
  seedProcessSeconds: number;
  /** As `oem seed` reports it: the SQLite file and WAL, or the schema's tables with indexes. */
  storeBytes: number;
  /** Spawn to first 200 of /readyz on the seeded store: first start, and the restart before the stream. */
  startupMs: number;
  restartMs: number;
  /** Where the deep page starts: the number of customers before its cursor. */
  deepOffset: number;
  walk: { pages: number; rows: number; seconds: number; inOrder: boolean };
  stream: { rows: number; bytes: number; seconds: number; rssBefore: number; rssPeak: number; rssAfter: number };
  scenarios: { scenario: ScaleScenario; label: string; server: Summary; empty?: Summary; flags: string[] }[];
  /** One client, one request at a time (no queueing behind other connections): the page's own latency. */
  /** One client, the pages and the bare baseline taking turns: the baseline's p99 is the machine's own jitter. */
  alone: { first: Latency; deep: Latency; baseline: Latency };
}

export interface Latency { requests: number; p50: number; p99: number }

/**
 * `n` requests to each URL, one after another on one connection, the URLs taking turns so that
 * whatever else happens on the machine meanwhile hits each alike; latencies in ms per URL.
 */
async function sequential(urls: string[], headers: Record<string, string>, n: number): Promise<Latency[]> {
  const times: number[][] = urls.map(() => []);
  for (let i = 0; i < n; i++) {
    for (const [u, url] of urls.entries()) {
      const started = performance.now();
      const r = await fetch(url, { headers });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
      times[u]!.push(performance.now() - started);
    }
  }
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return { requests: n, p50: percentile(t, 50), p99: percentile(t, 99) };
  });
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** Runs `oem seed` on the store before any server has started; its progress lines go to the bench's stderr. */
function runSeed(kind: StoreChoice, url: string, key: string, customers: number, keysets: number): Promise<{ json: any; seconds: number }> {
  const started = performance.now();
  const args = [CLI_JS, 'seed', '--customers', String(customers), '--keysets', String(keysets)];
  // OEM_BOOTSTRAP_API_KEY: the seed bootstraps the store as the server's first start would, so the bench's key owns the seeded customers.
  const child = spawn(process.execPath, args, { env: { ...process.env, DATABASE_URL: url, OEM_BOOTSTRAP_API_KEY: key }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    const lines = (partial + d).split('\n');
    partial = lines.pop()!; // a line cut between two chunks waits for its end
    for (const line of lines) if (line.trim()) log(`[${kind}] ${line.trim()}`);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`oem seed exited with ${code}: ${err.slice(-2000)}`));
      resolve({ json: JSON.parse(out), seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Every customer by cursor pages; also the cursor about `depth` (0–1) into the list. */
async function walk(api: Api, depth: number) {
  const started = performance.now();
  const cursors: string[] = [];
  let rows = 0;
  let inOrder = true;
  let last: [string, string] = ['', ''];
  let next: string | null = null;
  do {
    const page: { result: { id: string; created: string }[]; next: string | null } =
      await api.call('GET', `/v2/oem/customers?limit=${WALK_LIMIT}${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
    for (const c of page.result) {
      if (c.created < last[0] || (c.created === last[0] && c.id <= last[1])) inOrder = false;
      last = [c.created, c.id];
    }
    rows += page.result.length;
    next = page.next;
    if (next) cursors.push(next);
  } while (next);
  // cursors[i] follows row (i + 1) × WALK_LIMIT; at least a page of 100 must follow the chosen one.
  const i = Math.max(0, Math.min(Math.floor((rows * depth) / WALK_LIMIT), Math.floor((rows - 100) / WALK_LIMIT)) - 1);
  return {
    figure: { pages: cursors.length + 1, rows, seconds: (performance.now() - started) / 1000, inOrder },
    deep: cursors[i], deepOffset: cursors[i] ? (i + 1) * WALK_LIMIT : 0,
  };
}

/** The whole list in one streamed response, with the server's RSS sampled every 20 ms meanwhile. */
async function stream(api: Api, server: Child): Promise<ScaleResult['stream']> {
  await new Promise((r) => setTimeout(r, 1000)); // let the last load's garbage be collected first
  const rssBefore = server.rssBytes();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, server.rssBytes())), 20);
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  try {
    const r = await fetch(`${api.baseUrl}/v2/oem/customers`, { headers: api.headers(false) });
    if (r.status !== 200 || !r.body) throw new Error(`streamed list answered ${r.status}`);
    const decoder = new TextDecoder();
    let carry = '';
    for await (const chunk of r.body) {
      bytes += chunk.byteLength;
      // Each summary is one flat object starting {"id": — counted across chunk boundaries.
      const text = carry + decoder.decode(chunk, { stream: true });
      rows += text.split('{"id":').length - 1;
      carry = text.slice(-5); // one character short of a whole match, so none is counted twice
    }
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  return { rows, bytes, seconds, rssBefore, rssPeak: Math.max(rssPeak, server.rssBytes()), rssAfter: server.rssBytes() };
}

export async function benchScale(kind: StoreChoice, opts: BenchOptions, empty: StoreResult, baseline: Child): Promise<ScaleResult> {
  const store = await createStore(kind, opts.dataDir, opts.pgUrl);
  const key = `oem_bench_${randomBytes(16).toString('hex')}`;
  let server: Child | undefined;
  try {
    log(`[${kind}] at scale: oem seed --customers ${opts.seed} --keysets ${opts.seedKeysets} on ${store.describe}`);
    const seeded = await runSeed(kind, store.url, key, opts.seed, opts.seedKeysets);
    log(`[${kind}] seeded in ${seeded.json.seconds} s, ${(seeded.json.storeBytes / 2 ** 20).toFixed(0)} MiB; starting the server`);
    server = await startChild(`server (${kind}, ${opts.seed} customers)`, MAIN_JS, serverEnv(store.url, key), 120_000);
    const startupMs = server.readyMs;
    const api = new Api(server.baseUrl, key);
    const seed: Seed = await (await Seeder.start(api)).seed(opts.connections);
    log(`[${kind}] walking the list by cursor, pages of ${WALK_LIMIT}`);
    const walked = await walk(api, DEEP);
    log(`[${kind}] ${walked.figure.rows} customers in ${walked.figure.pages} pages, ${walked.figure.seconds.toFixed(1)} s`);
    if (!walked.deep) throw new Error('the list is too short for a page near its end');
    // One client alone, before any load: the first page, the deep one and the bare baseline taking
    // turns (the baseline's tail is the machine's and the client's own jitter). (After the
    // load rounds, PostgreSQL's checkpoint of their writes and the heap they left in both processes
    // showed up as 10–15 ms outliers in either page's p99.)
    const listUrl = `${server.baseUrl}/v2/oem/customers?limit=100`;
    const probes = opts.quick ? 20 : 1000;
    const pages = [listUrl, `${listUrl}&cursor=${encodeURIComponent(walked.deep)}`, `${baseline.baseUrl}/v2/oem/customers?limit=100`];
    // Unmeasured first: on a server just started the first few hundred answers include compiling
    // the route's code (measured: 5–20 ms outliers in the first two seconds, none after).
    await sequential(pages, api.headers(false), Math.ceil(probes / 5));
    await new Promise((r) => setTimeout(r, 1000)); // the garbage collected first
    const [first, deep, bare] = await sequential(pages, api.headers(false), probes);
    const alone = { first: first!, deep: deep!, baseline: bare! };
    log(`[${kind}] one client alone: first page p99 ${alone.first.p99.toFixed(2)} ms, deep page p99 ${alone.deep.p99.toFixed(2)} ms`);
    const headers = api.headers(false);
    const deepPlan: LoadPlan = { requests: [{ method: 'GET', path: `/v2/oem/customers?limit=100&cursor=${encodeURIComponent(walked.deep)}`, headers }] };
    const planOf = (s: ScaleScenario): LoadPlan => (s === 'list100-deep' ? deepPlan : plan(s, { seed, target: 'server', pool: new KeysetPool(), headers }));
    const once = (s: ScaleScenario, seconds: number) => runLoad(server!.baseUrl, planOf(s), opts.connections, seconds, () => server!.cpuSeconds());
    const runs = new Map<ScaleScenario, RunStats[]>(SCALE_SCENARIOS.map((s) => [s, []]));
    if (opts.warmup > 0) for (const s of SCALE_SCENARIOS) await once(s, opts.warmup);
    for (let round = 1; round <= opts.rounds; round++) {
      for (const s of SCALE_SCENARIOS) {
        const r = await once(s, opts.duration);
        runs.get(s)!.push(r);
        log(`[${kind}] at scale, ${s} round ${round}/${opts.rounds}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
      }
    }
    // On a freshly started server: one that has just been under load holds heap slack that would
    // hide what the stream itself needs.
    await server.stop();
    server = await startChild(`server (${kind}, ${opts.seed} customers, restarted)`, MAIN_JS, serverEnv(store.url, key), 120_000);
    log(`[${kind}] streaming the whole list from a restarted server`);
    const streamed = await stream(new Api(server.baseUrl, key), server);
    log(`[${kind}] streamed ${streamed.rows} customers in ${streamed.seconds.toFixed(1)} s; server RSS ${mib(streamed.rssBefore)} → peak ${mib(streamed.rssPeak)} MiB`);
    return {
      customers: opts.seed, keysets: opts.seedKeysets, seedSeconds: seeded.json.seconds, seedProcessSeconds: seeded.seconds,
      storeBytes: seeded.json.storeBytes, startupMs, restartMs: server.readyMs, deepOffset: walked.deepOffset, walk: walked.figure, stream: streamed, alone,
      scenarios: SCALE_SCENARIOS.map((s) => ({
        scenario: s, label: SCALE_LABELS[s], server: summarise(runs.get(s)!),
        empty: s === 'list100-deep' ? undefined : empty.scenarios.find((r) => r.scenario === s)?.server,
        flags: flagsOf('server', runs.get(s)!),
      })),
    };
  } finally {
    await server?.stop();
    await store.destroy();
  }
}

export const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
