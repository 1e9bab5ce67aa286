// Entry point of `npm run bench`: the baseline and, per store, the server, driven alike; then the
// table on stdout, the JSON (--json) and docs/BENCHMARKS.md (or --out-md). Exits 1 on a failure
// of the harness itself; slow figures or flagged scenarios are reported, not failed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, USAGE, UsageError } from './cli.js';
import { BASELINE_JS, cleanups, MAIN_JS, startChild, type Child } from './processes.js';
import { checkTargets, existingNotes, machine, markdownReport, textReport, writeFile, type BenchReport } from './report.js';
import { KEYSETS_PER_CREATE } from './seed.js';
import { benchFloor, type FloorResult } from './floor.js';
import { benchScale } from './scale.js';
import { benchStore, type StoreResult } from './suite.js';

/** The repository root: the nearest folder above this compiled file with the project's package.json. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'oem-customer-server') return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2), process.env, path.join(repoRoot(), 'docs/BENCHMARKS.md'));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: build first (npm run build)`);

  const date = new Date().toISOString();
  const stores: StoreResult[] = [];
  let baseline: Child | undefined;
  let floor: FloorResult | undefined;
  try {
    baseline = await startChild('baseline', BASELINE_JS, {});
    floor = await benchFloor(opts, baseline);
    for (const kind of opts.stores) {
      const result = await benchStore(kind, opts, baseline);
      if (opts.seed > 0 && !result.skipped) result.scale = await benchScale(kind, opts, result, baseline);
      stores.push(result);
    }
  } finally {
    await baseline?.stop();
  }

  const { pgUrl: _pg, json: _json, outMd: _md, ...settings } = opts;
  const report: BenchReport = {
    date, machine: machine(), settings: { ...settings, keysetsPerCreate: KEYSETS_PER_CREATE }, floor, stores, targets: checkTargets(stores),
  };
  process.stdout.write(`${textReport(report)}\n`);
  if (opts.json) {
    writeFile(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`wrote ${opts.json}\n`);
  }
  if (opts.outMd) {
    writeFile(opts.outMd, markdownReport(report, existingNotes(opts.outMd)));
    process.stderr.write(`wrote ${opts.outMd}\n`);
  }
  return 0;
}

// A Ctrl-C mid-run still stops the children and drops the stores (a PostgreSQL schema would stay
// otherwise); the run itself then fails on its dead server, which is not worth a second message.
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  process.stderr.write('bench: interrupted; cleaning up\n');
  void (async () => {
    for (const undo of [...cleanups].reverse()) await undo().catch(() => {});
    process.exit(130);
  })();
});

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (interrupted) return;
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
