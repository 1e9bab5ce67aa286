// Runs every compiled test file (dist/test/**/*.test.js) with node:test. Node 20's --test does
// not expand globs, so the files are listed here. Extra arguments pass through to node --test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? find(p) : e.name.endsWith('.test.js') ? [p] : [];
  });
}

const filter = process.env.TEST_FILTER;
const files = find(path.join(process.env.TEST_BUILD_DIR ?? 'dist', 'test')).filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error('no test files found (did the build run?)');
  process.exit(1);
}
const store = process.env.TEST_DATABASE_URL ? 'SQLite and PostgreSQL' : 'SQLite only (set TEST_DATABASE_URL for PostgreSQL)';
console.log(`running ${files.length} test files against ${store}`);
// The secrets audit (test/helpers/audit.ts): each test process reports what it scanned here.
const auditDir = mkdtempSync(path.join(os.tmpdir(), 'oem-audit-'));
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=600000', ...process.argv.slice(2), ...files], {
  stdio: 'inherit',
  env: { ...process.env, OEM_TEST_AUDIT_DIR: auditDir },
});
process.exit(Math.max(result.status ?? 1, audit(auditDir)));

/** Adds up the audit reports; 1 if any test process found a secret where none may be. */
function audit(dir) {
  const total = { responses: 0, logLines: 0, outputs: 0, secrets: 0 };
  const findings = [];
  for (const name of readdirSync(dir)) {
    const report = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
    for (const k of Object.keys(total)) total[k] += report.counts[k];
    for (const f of report.findings) findings.push(`${path.basename(report.script ?? '?')}: ${f}`);
    if (report.more) findings.push(`${path.basename(report.script ?? '?')}: ${report.more} more`);
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`secrets audit: ${total.secrets} secrets used, ${total.responses} responses and CLI outputs, ${total.logLines} log lines, ` +
    `${total.outputs} server outputs scanned; ${findings.length} findings`);
  for (const f of findings.slice(0, 100)) console.log(`  LEAK ${f}`);
  return findings.length ? 1 : 0;
}
