// The framework floor: the bare baseline against a bare Fastify server (bench/baseline.ts with
// BASELINE_FRAMEWORK=fastify) on the same GET, alternating rounds. It measures how much of the
// baseline any route of a Fastify server can reach on this machine, before a single hook or query.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './cli.js';
import { runLoad } from './load.js';
import { BASELINE_JS, startChild, type Child } from './processes.js';
import { median, pct } from './report.js';
import type { ScenarioName } from './scenarios.js';
import type { StoreResult } from './suite.js';

const STORE_FLOOR_JS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'store-floor.js');

/** The scenarios bench/store-floor.ts answers. */
export const STORE_FLOOR_SCENARIOS: ReadonlySet<ScenarioName> = new Set(['get', 'list100', 'create']);

/** The store floor (bench/store-floor.ts) on the server's store. */
export function startStoreFloor(storeUrl: string): Promise<Child> {
  return startChild('store floor', STORE_FLOOR_JS, { DATABASE_URL: storeUrl });
}

export interface FloorResult {
  baselineRps: number;
  fastifyRps: number;
  /** fastify ÷ baseline. */
  ratio: number;
}

export async function benchFloor(opts: BenchOptions, baseline: Child): Promise<FloorResult> {
  const fastify = await startChild('fastify floor', BASELINE_JS, { BASELINE_FRAMEWORK: 'fastify' });
  try {
    const plan = { requests: [{ method: 'GET' as const, path: '/v2/oem/customers/floor' }] };
    const once = (child: Child, seconds: number) => runLoad(child.baseUrl, plan, opts.connections, seconds, () => child.cpuSeconds());
    if (opts.warmup > 0) {
      await once(baseline, opts.warmup);
      await once(fastify, opts.warmup);
    }
    const rps = { baseline: [] as number[], fastify: [] as number[] };
    for (let round = 0; round < opts.rounds; round++) {
      rps.baseline.push((await once(baseline, opts.duration)).rps);
      rps.fastify.push((await once(fastify, opts.duration)).rps);
    }
    const baselineRps = median(rps.baseline);
    const fastifyRps = median(rps.fastify);
    return { baselineRps, fastifyRps, ratio: fastifyRps / baselineRps };
  } finally {
    await fastify.stop();
  }
}

export const floorLine = (f: FloorResult) =>
  `framework floor: bare Fastify ${Math.round(f.fastifyRps)} req/s against bare node:http ${Math.round(f.baselineRps)} req/s on one GET: ` +
  `${(f.ratio * 100).toFixed(1)}% — no route of a Fastify server can score above this ratio here`;

export const STORE_FLOOR_HEAD = ['scenario', 'baseline req/s', 'store floor req/s', 'floor ratio', 'server ratio', 'server ÷ floor', 'floor cpu ms/req', 'server cpu ms/req'];

/** The store floor next to the server, per scenario it answers. */
export function storeFloorRows(s: StoreResult): string[][] {
  return s.scenarios.flatMap((r) => (r.floor ? [[
    r.label, r.baseline.rps.toFixed(0), r.floor.summary.rps.toFixed(0), pct(r.floor.ratio), pct(r.ratio), pct(r.server.rps / r.floor.summary.rps),
    r.floor.summary.cpuMsPerAnswer.toFixed(3), r.server.cpuMsPerAnswer.toFixed(3),
  ]] : []));
}

export const STORE_FLOOR_TITLE = 'Store floor: bare node:http and the database driver doing only what the contract requires of the route (bench/store-floor.ts), ' +
  'in the same alternating rounds; no server of these routes can score above its ratio here';
