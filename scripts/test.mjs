// Runs every compiled test file (dist/test/**/*.test.js) with node:test. Node 20's --test does
// not expand globs, so the files are listed here. Extra arguments pass through to node --test.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? find(p) : e.name.endsWith('.test.js') ? [p] : [];
  });
}

const filter = process.env.TEST_FILTER;
const files = find('dist/test').filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}
const store = process.env.TEST_DATABASE_URL ? 'SQLite and PostgreSQL' : 'SQLite only (set TEST_DATABASE_URL for PostgreSQL)';
console.log(`running ${files.length} test files against ${store}`);
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=600000', ...process.argv.slice(2), ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
