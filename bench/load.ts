// One timed run of autocannon against one target, summarised. Throughput counts only 2xx answers,
// over the window from the first request to the last answer; everything else (non-2xx, socket
// errors, timeouts) is counted apart so that a failing scenario is flagged, not scored.
import autocannon from 'autocannon';
import type { LoadPlan } from './scenarios.js';

export interface RunStats {
  /** 2xx answers per second. */
  rps: number;
  /** Latency of 2xx answers, milliseconds. */
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  /** Socket errors and timeouts (autocannon's "errors", timeouts included). */
  errors: number;
  timeouts: number;
  /** Seconds from the first request to the last answer. */
  window: number;
  /** Mean bytes of a 2xx answer, headers included. */
  bytesPerAnswer: number;
  /** Status → count, for anything other than 2xx. */
  statuses: Record<string, number>;
  /** The first few non-2xx bodies, to say why. */
  samples: string[];
  /** CPU milliseconds the target process spent per answer (any status); NaN when unknown. */
  cpuMsPerAnswer: number;
  /** Set when the run ended before its duration (a capped amount ran out). */
  cutShort: boolean;
}

/** The p-th percentile (nearest rank) of ascending values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** `cpu` reads the target's CPU seconds, before and after the run. */
export function runLoad(url: string, plan: LoadPlan, connections: number, duration: number, cpu: () => number): Promise<RunStats> {
  const cpuBefore = cpu();
  return new Promise<RunStats>((resolve, reject) => {
    // autocannon's latency histogram is in whole milliseconds, too coarse for answers that take
    // about one; each answer's time is kept here instead (a few hundred thousand numbers at most).
    let latencies = new Float64Array(1 << 16);
    let ok = 0;
    let okBytes = 0;
    let lastAnswer = 0;
    const statuses: Record<string, number> = {};
    const samples: string[] = [];
    const requests = plan.requests.map((r) => ({
      ...r,
      onResponse: (status: number, body: string) => {
        if ((status < 200 || status > 299) && samples.length < 3) samples.push(`${status} ${String(body).slice(0, 300)}`);
      },
    }));
    const started = performance.now();
    const amount = plan.amount;
    let timer: NodeJS.Timeout | undefined;
    const instance = autocannon({
      url, connections, duration, requests,
      ...(plan.setupClient ? { setupClient: plan.setupClient } : {}),
      ...(amount !== undefined ? { amount } : {}),
      // autocannon stops only at its next sample tick; 100 ms keeps a stop close to the deadline.
      sampleInt: 100,
      timeout: 10,
    }, (error, result) => {
      if (timer) clearTimeout(timer);
      if (error) return reject(error);
      const window = (lastAnswer || performance.now()) - started;
      const sorted = latencies.subarray(0, ok).sort();
      resolve({
        rps: ok / (window / 1000),
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        ok,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        window: window / 1000,
        bytesPerAnswer: ok ? okBytes / ok : 0,
        cpuMsPerAnswer: ((cpu() - cpuBefore) * 1000) / (ok + result.non2xx),
        statuses,
        samples,
        cutShort: window / 1000 < duration * 0.95,
      });
    });
    // With an amount autocannon ignores the duration, so the deadline is kept here.
    if (amount !== undefined) timer = setTimeout(() => instance.stop(), duration * 1000);
    instance.on('response', (_client, status, bytes, responseTime) => {
      lastAnswer = performance.now();
      if (status >= 200 && status <= 299) {
        if (ok === latencies.length) {
          const grown = new Float64Array(latencies.length * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[ok++] = responseTime;
        okBytes += bytes;
      } else {
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    });
  });
}
