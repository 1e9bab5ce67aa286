// The framework floor: the bare baseline against a bare Fastify server (bench/baseline.ts with
// BASELINE_FRAMEWORK=fastify) on the same GET, alternating rounds. It measures how much of the
// baseline any route of a Fastify server can reach on this machine, before a single hook or query.
import type { BenchOptions } from './cli.js';
import { runLoad } from './load.js';
import { BASELINE_JS, startChild, type Child } from './processes.js';
import { median } from './report.js';

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
