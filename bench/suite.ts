// One store's share of the benchmark: a fresh store, the server on it, the seed data, every
// scenario in alternating rounds against the baseline, and the startup time on the now-existing store.
import { randomBytes } from 'node:crypto';
import type { BenchOptions, StoreChoice } from './cli.js';
import { runLoad, type RunStats } from './load.js';
import { median } from './report.js';
import { BASELINE_JS, MAIN_JS, serverEnv, startChild, type Child } from './processes.js';
import { KeysetPool, LABELS, plan, RUN_ORDER, type ScenarioName, type Target } from './scenarios.js';
import { Api, KEYSETS_PER_CREATE, Seeder } from './seed.js';
import type { ScaleResult } from './scale.js';
import { createStore } from './stores.js';
import { startStoreFloor, STORE_FLOOR_SCENARIOS } from './floor.js';

/** A target's rounds in one: rps, p50, p99 and cpuMsPerAnswer are medians, ok, non2xx and errors sums, bytesPerAnswer a mean. */
export type Summary = Pick<RunStats, 'rps' | 'p50' | 'p99' | 'ok' | 'non2xx' | 'errors' | 'bytesPerAnswer' | 'cpuMsPerAnswer'>;

export interface ScenarioResult {
  scenario: ScenarioName;
  label: string;
  baseline: Summary;
  server: Summary;
  /** server rps / baseline rps. */
  ratio: number;
  /** Anything that makes the figures suspect: non-2xx answers, socket errors, a cut-short round. */
  flags: string[];
  rounds: { baseline: RunStats[]; server: RunStats[]; floor?: RunStats[] };
  /** The store floor's figures (bench/store-floor.ts), where it answers the scenario; ratio to the baseline. */
  floor?: { summary: Summary; ratio: number };
}

export interface StoreResult {
  store: StoreChoice;
  where: string;
  /** Set when the store was not benchmarked, and why. */
  skipped?: string;
  /** Spawn to first 200 of /readyz on the empty store (migrations and bootstrap included). */
  firstStartMs?: number;
  /** Spawn to first 200 of /readyz, restarted on the store the scenarios filled. */
  startupMs?: number[];
  /** The baseline's spawn to first answer, timed alongside: what starting node alone costs now. */
  baselineStartupMs?: number[];
  scenarios: ScenarioResult[];
  /** Warnings and errors the server logged while under load. */
  serverLog: string[];
  /** With --seed: the figures on a store of that many customers. */
  scale?: ScaleResult;
}

export function summarise(runs: RunStats[]): Summary {
  const sum = (f: (r: RunStats) => number) => runs.reduce((a, r) => a + f(r), 0);
  const ok = sum((r) => r.ok);
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    ok,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    bytesPerAnswer: ok ? sum((r) => r.bytesPerAnswer * r.ok) / ok : 0,
    cpuMsPerAnswer: median(runs.map((r) => r.cpuMsPerAnswer)),
  };
}

export function flagsOf(target: string, runs: RunStats[]): string[] {
  const flags: string[] = [];
  const non2xx = runs.reduce((a, r) => a + r.non2xx, 0);
  if (non2xx > 0) {
    const statuses: Record<string, number> = {};
    for (const r of runs) for (const [s, n] of Object.entries(r.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
    const sample = runs.flatMap((r) => r.samples)[0];
    flags.push(`${target}: ${non2xx} non-2xx (${Object.entries(statuses).map(([s, n]) => `${s}×${n}`).join(', ')})${sample ? `, e.g. ${sample}` : ''}`);
  }
  const errors = runs.reduce((a, r) => a + r.errors, 0);
  if (errors > 0) flags.push(`${target}: ${errors} socket errors (${runs.reduce((a, r) => a + r.timeouts, 0)} timeouts)`);
  const short = runs.filter((r) => r.cutShort);
  if (short.length > 0) flags.push(`${target}: ${short.length} round(s) ended early (${short.map((r) => `${r.window.toFixed(1)} s`).join(', ')}): the keyset pool ran out`);
  if (runs.some((r) => r.ok === 0)) flags.push(`${target}: a round got no 2xx answer at all`);
  return flags;
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);

export async function benchStore(kind: StoreChoice, opts: BenchOptions, baseline: Child): Promise<StoreResult> {
  if (kind === 'postgres' && !opts.pgUrl) {
    return { store: kind, where: '-', skipped: 'neither BENCH_DATABASE_URL nor TEST_DATABASE_URL is set', scenarios: [], serverLog: [] };
  }
  const store = await createStore(kind, opts.dataDir, opts.pgUrl);
  const key = `oem_bench_${randomBytes(16).toString('hex')}`;
  const env = serverEnv(store.url, key);
  let server: Child | undefined;
  let floor: Child | undefined;
  try {
    log(`[${kind}] starting the server on ${store.describe}`);
    server = await startChild(`server (${kind})`, MAIN_JS, env);
    const firstStartMs = server.readyMs;
    const api = new Api(server.baseUrl, key);
    const seeder = await Seeder.start(api);
    const seed = await seeder.seed(opts.connections);
    const pool = new KeysetPool();
    const headers = api.headers(false);
    const results = new Map<ScenarioName, ScenarioResult>();
    const scenarios = RUN_ORDER.filter((s) => opts.scenarios.includes(s));
    if (scenarios.some((s) => STORE_FLOOR_SCENARIOS.has(s))) floor = await startStoreFloor(store.url);

    for (const scenario of scenarios) {
      const runs: Record<Target, RunStats[]> = { baseline: [], server: [] };
      const floorRuns: RunStats[] = [];
      const withFloor = floor && STORE_FLOOR_SCENARIOS.has(scenario) ? floor : undefined;
      // The store floor gets the server's requests.
      const once = async (target: Target | 'floor', seconds: number): Promise<RunStats> => {
        if (scenario === 'create-keysets' && target === 'server') {
          await fillPool(pool, seeder, estimateRps(runs.server, results.get('create')), seconds, opts.connections);
        }
        const child = target === 'server' ? server! : target === 'floor' ? withFloor! : baseline;
        const planned = plan(scenario, { seed, target: target === 'floor' ? 'server' : target, pool, headers });
        return runLoad(child.baseUrl, planned, opts.connections, seconds, () => child.cpuSeconds());
      };
      if (opts.warmup > 0) {
        log(`[${kind}] ${scenario}: warm-up`);
        await once('baseline', opts.warmup);
        runs.server.push(await once('server', opts.warmup)); // kept only to size the keyset pool
        if (withFloor) await once('floor', opts.warmup);
      }
      const warm = runs.server.length;
      for (let round = 1; round <= opts.rounds; round++) {
        // Alternating, so that whatever drifts on the machine meanwhile hits both alike.
        const b = await once('baseline', opts.duration);
        const s = await once('server', opts.duration);
        runs.baseline.push(b);
        runs.server.push(s);
        if (withFloor) floorRuns.push(await once('floor', opts.duration));
        log(`[${kind}] ${scenario} round ${round}/${opts.rounds}: baseline ${b.rps.toFixed(0)} req/s, server ${s.rps.toFixed(0)} req/s` +
          (s.non2xx + s.errors > 0 ? ` (server: ${s.non2xx} non-2xx, ${s.errors} errors)` : ''));
      }
      const warmRuns = runs.server.splice(0, warm);
      const b = summarise(runs.baseline);
      const s = summarise(runs.server);
      const f = withFloor ? summarise(floorRuns) : undefined;
      results.set(scenario, {
        scenario, label: LABELS[scenario], baseline: b, server: s, ratio: s.rps / b.rps,
        flags: [...flagsOf('baseline', runs.baseline), ...flagsOf('server', runs.server), ...flagsOf('server warm-up', warmRuns), ...flagsOf('store floor', floorRuns)],
        rounds: { ...runs, ...(withFloor ? { floor: floorRuns } : {}) },
        ...(f ? { floor: { summary: f, ratio: f.rps / b.rps } } : {}),
      });
    }
    const serverLog = server.problems();
    await floor?.stop();
    floor = undefined;
    await server.stop();
    server = undefined;

    const startupMs: number[] = [];
    const baselineStartupMs: number[] = [];
    for (let i = 0; i < opts.startupSamples; i++) {
      const again = await startChild(`server (${kind}, restart)`, MAIN_JS, env);
      startupMs.push(again.readyMs);
      await again.stop();
      const bare = await startChild('baseline (startup)', BASELINE_JS, {});
      baselineStartupMs.push(bare.readyMs);
      await bare.stop();
    }
    log(`[${kind}] startup on the existing store: ${startupMs.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`);
    return {
      store: kind, where: store.describe, firstStartMs, startupMs, baselineStartupMs, serverLog,
      scenarios: opts.scenarios.map((s) => results.get(s)!),
    };
  } finally {
    await floor?.stop();
    await server?.stop();
    await store.destroy();
  }
}

/**
 * The rate to size the keyset pool for: this scenario's fastest run so far, else plain create's,
 * else a guess kept low because every keyset costs a request to seed (a run that outruns it is
 * cut short and flagged, and the next run is sized by what it saw).
 */
function estimateRps(previous: RunStats[], create: ScenarioResult | undefined): number {
  const seen = Math.max(0, ...previous.map((r) => r.rps));
  if (seen > 0) return seen;
  const created = Math.max(0, ...(create?.rounds.server.map((r) => r.rps) ?? []));
  return created > 0 ? created : 100;
}

/**
 * Tops the pool up so that a run of `seconds` at 1.3× the expected rate cannot run out. Seeding
 * happens here, outside every measured window. Should it run out anyway, the run's amount caps
 * the requests and the round is flagged as cut short.
 */
async function fillPool(pool: KeysetPool, seeder: Seeder, rps: number, seconds: number, connections: number): Promise<void> {
  const requests = Math.ceil(rps * seconds * 1.3) + connections;
  const missing = requests * KEYSETS_PER_CREATE - pool.remaining;
  if (missing <= 0) return;
  const t = performance.now();
  pool.add(await seeder.keysets(missing));
  log(`  seeded ${missing} keysets for create-keysets in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
