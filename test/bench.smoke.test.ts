// The benchmark (`npm run bench`) in quick mode: it must run, and report every scenario with a
// number. Speed is not judged here (CI machines are shared and small); only that the harness works.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BUILD_ROOT, runNode } from './helpers/process.js';

const BENCH_JS = path.join(BUILD_ROOT, 'bench/run.js');
const SCENARIOS = ['create', 'create-keysets', 'get', 'list100', 'assign-unassign', 'access-token'];

test('npm run bench --quick runs every scenario against the baseline and the server, and reports them', { timeout: 120_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-bench-smoke-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const md = path.join(dir, 'BENCHMARKS.md');
  const json = path.join(dir, 'bench.json');
  // A notes section written by hand must survive the rewrite.
  fs.writeFileSync(md, '# old\n<!-- notes -->\nprofiling: kept by hand\n<!-- /notes -->\n');

  const run = await runNode(BENCH_JS, [
    '--quick', '--duration', '1', '--rounds', '1', '--connections', '4', '--warmup', '0', '--startup-samples', '1',
    '--store', 'sqlite', '--data-dir', dir, '--out-md', md, '--json', json,
  ], { timeoutMs: 110_000 });
  assert.equal(run.code, 0, `bench exited with ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);

  const report = JSON.parse(fs.readFileSync(json, 'utf8'));
  const sqlite = report.stores.find((s: any) => s.store === 'sqlite');
  assert.ok(sqlite && !sqlite.skipped, 'the SQLite store was benchmarked');
  assert.deepEqual(sqlite.scenarios.map((s: any) => s.scenario), SCENARIOS);
  for (const s of sqlite.scenarios) {
    for (const target of ['baseline', 'server'] as const) {
      assert.ok(s[target].rps > 0 && Number.isFinite(s[target].rps), `${s.scenario} ${target}: req/s ${s[target].rps}`);
      assert.ok(Number.isFinite(s[target].p50) && Number.isFinite(s[target].p99), `${s.scenario} ${target}: latencies`);
      // A harness that sends requests the server refuses would score nothing real.
      assert.equal(s[target].non2xx, 0, `${s.scenario} ${target}: non-2xx answers: ${s.flags.join('; ')}`);
    }
    assert.ok(Number.isFinite(s.ratio) && s.ratio > 0, `${s.scenario}: ratio ${s.ratio}`);
    // The store floor answers get, list 100 and create, with the same requests and no refusals.
    if (['get', 'list100', 'create'].includes(s.scenario)) {
      assert.ok(s.floor?.summary.rps > 0 && s.floor.ratio > 0, `${s.scenario}: store floor ${JSON.stringify(s.floor)}`);
      assert.equal(s.floor.summary.non2xx, 0, `${s.scenario} store floor: non-2xx answers: ${s.flags.join('; ')}`);
    } else {
      assert.equal(s.floor, undefined, `${s.scenario} has no store floor`);
    }
    assert.match(run.stdout, new RegExp(`^${s.label.replace(/[+()]/g, '\\$&')} .*\\d`, 'm'), `${s.scenario} is in the table on stdout`);
  }
  assert.ok(sqlite.startupMs.length === 1 && sqlite.startupMs[0] > 0, 'startup on the existing store was timed');
  assert.ok(report.targets.some((t: any) => /startup/.test(t.target) && t.status !== 'not measured'));

  const text = fs.readFileSync(md, 'utf8');
  assert.match(text, /## Machine/);
  assert.match(text, /\| get customer \|/);
  assert.match(text, /Store floor: .*\n\n\| scenario \| baseline req\/s \| store floor req\/s/);
  assert.match(text, /<!-- notes -->\nprofiling: kept by hand\n<!-- \/notes -->/);
});
