// The benchmark's figures at scale (`npm run bench -- --seed N`), in quick mode and on a small N:
// they must be produced and reported. Speed is not judged (see bench.smoke.test.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BUILD_ROOT, runNode } from './helpers/process.js';

const BENCH_JS = path.join(BUILD_ROOT, 'bench/run.js');

test('bench --seed: seeds a second store with oem seed and reports the figures at scale', { timeout: 180_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-bench-scale-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const md = path.join(dir, 'BENCHMARKS.md');
  const json = path.join(dir, 'bench.json');
  const run = await runNode(BENCH_JS, [
    '--quick', '--duration', '1', '--rounds', '1', '--connections', '4', '--warmup', '0', '--startup-samples', '1',
    '--store', 'sqlite', '--scenarios', 'get,create,list100', '--seed', '3000', '--seed-keysets', '500',
    '--data-dir', dir, '--out-md', md, '--json', json,
  ], { timeoutMs: 170_000 });
  assert.equal(run.code, 0, `bench exited with ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);

  const scale = JSON.parse(fs.readFileSync(json, 'utf8')).stores[0].scale;
  assert.deepEqual([scale.customers, scale.keysets], [3000, 500]);
  assert.ok(scale.seedSeconds > 0 && scale.seedProcessSeconds >= scale.seedSeconds && scale.storeBytes > 0);
  assert.ok(scale.startupMs > 0 && scale.restartMs > 0);
  // The API's own customers (150 + one per connection) come after the seeded ones.
  assert.deepEqual([scale.walk.rows, scale.walk.inOrder], [3000 + 150 + 4, true]);
  assert.ok(scale.deepOffset >= 2000 && scale.deepOffset <= scale.walk.rows - 100, `deep page after ${scale.deepOffset}`);
  assert.ok(scale.stream.rows >= scale.walk.rows && scale.stream.rssPeak >= scale.stream.rssBefore && scale.stream.rssBefore > 0);
  assert.deepEqual(scale.scenarios.map((s: any) => s.scenario), ['list100', 'list100-deep', 'get', 'create']);
  for (const s of scale.scenarios) {
    assert.ok(s.server.rps > 0 && s.server.non2xx === 0, `${s.scenario}: ${JSON.stringify(s.server)} ${s.flags}`);
    assert.equal(s.empty === undefined, s.scenario === 'list100-deep', `${s.scenario}: empty-store figure`);
  }
  assert.match(run.stderr, /seed: 3000\/3000 customers \(100%\)/);
  assert.match(run.stdout, /At 3,000 seeded customers \(\+500 keysets\)/);
  assert.match(fs.readFileSync(md, 'utf8'), /#### At 3,000 seeded customers[\s\S]*\| list: a page of 100, 99% in \(by cursor\) \|/);
});
