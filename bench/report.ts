// The results as a table on stdout, as JSON, and as docs/BENCHMARKS.md. The Markdown file keeps
// whatever was written by hand between the notes markers, so profiling notes survive a rerun.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { BenchOptions } from './cli.js';
import type { ScenarioName } from './scenarios.js';
import { mib, type ScaleResult } from './scale.js';
import { floorLine, STORE_FLOOR_HEAD, STORE_FLOOR_TITLE, storeFloorRows, type FloorResult } from './floor.js';
import type { StoreResult } from './suite.js';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  os: string;
  node: string;
  autocannon: string;
}

export interface TargetCheck {
  target: string;
  measured: string;
  status: 'met' | 'not met' | 'not measured';
  /** The figure has flags (errors, cut-short rounds), so it is not to be trusted as is. */
  flagged: boolean;
}

export interface BenchReport {
  date: string;
  machine: Machine;
  settings: Omit<BenchOptions, 'pgUrl' | 'json' | 'outMd'> & { keysetsPerCreate: number };
  floor?: FloorResult;
  stores: StoreResult[];
  targets: TargetCheck[];
}

export function machine(): Machine {
  const cpus = os.cpus();
  const version = (createRequire(import.meta.url)('autocannon/package.json') as { version: string }).version;
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    autocannon: version,
  };
}

const RATIO_TARGETS: { store: 'sqlite' | 'postgres'; scenario: ScenarioName; min: number; name: string }[] = [
  { store: 'sqlite', scenario: 'create', min: 0.7, name: 'create customer on SQLite ≥ 70% of baseline' },
  { store: 'sqlite', scenario: 'get', min: 0.8, name: 'get customer on SQLite ≥ 80% of baseline' },
  { store: 'sqlite', scenario: 'list100', min: 0.4, name: 'list a page of 100 on SQLite ≥ 40% of baseline' },
  { store: 'postgres', scenario: 'create', min: 0.4, name: 'create customer on PostgreSQL ≥ 40% of baseline' },
];
export const STARTUP_LIMIT_MS = 1000;

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function checkTargets(stores: StoreResult[]): TargetCheck[] {
  const checks: TargetCheck[] = RATIO_TARGETS.map((t) => {
    const r = stores.find((s) => s.store === t.store && !s.skipped)?.scenarios.find((s) => s.scenario === t.scenario);
    if (!r || !Number.isFinite(r.ratio)) return { target: t.name, measured: '-', status: 'not measured', flagged: false };
    const floor = r.floor ? ` (store floor ${pct(r.floor.ratio)}${r.floor.ratio < t.min ? ': out of reach here' : ''})` : '';
    return { target: t.name, measured: pct(r.ratio) + floor, status: r.ratio >= t.min ? 'met' : 'not met', flagged: r.flags.length > 0 };
  });
  for (const s of stores) {
    const name = `startup on an existing ${s.store === 'sqlite' ? 'SQLite' : 'PostgreSQL'} store < 1 s (median)`;
    if (s.skipped || !s.startupMs?.length) {
      checks.push({ target: name, measured: '-', status: 'not measured', flagged: false });
      continue;
    }
    const m = median(s.startupMs);
    checks.push({ target: name, measured: `${m.toFixed(0)} ms (max ${Math.max(...s.startupMs).toFixed(0)} ms)`, status: m < STARTUP_LIMIT_MS ? 'met' : 'not met', flagged: false });
  }
  for (const s of stores) if (s.scale) checks.push(...scaleTargets(storeName(s), s.scale));
  return checks;
}

/** The issue's figures at scale: get and create within 15% of the empty store (CPU per request, the
 * steadier figure), and the deep page as fast as the first, p99 under 10 ms for one client. */
function scaleTargets(store: string, x: ScaleResult): TargetCheck[] {
  const at = `at ${count(x.customers)} customers on ${store}`;
  const checks: TargetCheck[] = (['get', 'create'] as const).map((name) => {
    const r = x.scenarios.find((c) => c.scenario === name);
    const target = `${name} ${at}: CPU per request within 15% of the empty store's`;
    if (!r?.empty) return { target, measured: '-', status: 'not measured', flagged: false };
    const change = r.server.cpuMsPerAnswer / r.empty.cpuMsPerAnswer - 1;
    return { target, measured: `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}% (req/s ${num(r.server.rps)} vs ${num(r.empty.rps)})`, status: change <= 0.15 ? 'met' : 'not met', flagged: r.flags.length > 0 };
  });
  const { first, deep } = x.alone;
  checks.push({
    target: `a page of 100 99% into the list ${at}: as fast as the first page, p99 < 10 ms (one client)`,
    measured: `p99 ${num(deep.p99, 2)} ms vs first page ${num(first.p99, 2)} ms`,
    status: deep.p99 < 10 && deep.p99 <= first.p99 * 1.15 ? 'met' : 'not met', flagged: false,
  });
  const growth = x.stream.rssPeak - x.stream.rssBefore;
  checks.push({ target: `streamed full list ${at}: server memory growth < 100 MB`, measured: `+${mib(growth)} MiB`, status: growth < 100 * 1024 * 1024 ? 'met' : 'not met', flagged: false });
  return checks;
}

export const pct = (r: number) => (Number.isFinite(r) ? `${(r * 100).toFixed(1)}%` : '-');
const num = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const storeName = (s: StoreResult) => (s.store === 'sqlite' ? 'SQLite' : 'PostgreSQL');

const HEAD = ['scenario', 'baseline req/s', 'server req/s', 'ratio', 'p50 ms', 'p99 ms', 'base p50', 'base p99', 'cpu ms/req', 'base cpu', 'bytes', 'non-2xx', 'errors'];

function rows(s: StoreResult): string[][] {
  return s.scenarios.map((r) => [
    r.label, num(r.baseline.rps), num(r.server.rps), pct(r.ratio), num(r.server.p50, 2), num(r.server.p99, 2),
    num(r.baseline.p50, 2), num(r.baseline.p99, 2), num(r.server.cpuMsPerAnswer, 3), num(r.baseline.cpuMsPerAnswer, 3), num(r.server.bytesPerAnswer),
    String(r.server.non2xx + r.baseline.non2xx), String(r.server.errors + r.baseline.errors),
  ]);
}

const ms = (xs: number[] | undefined) => (xs ?? []).map((x) => `${num(x)} ms`).join(', ');
const startupLine = (s: StoreResult) =>
  `startup (spawn → first 200 of /readyz): empty store ${num(s.firstStartMs ?? NaN)} ms; existing store ${ms(s.startupMs)}; ` +
  `the bare baseline, for comparison: ${ms(s.baselineStartupMs)}`;

const SCALE_HEAD = ['at scale', 'req/s', 'p50 ms', 'p99 ms', 'cpu ms/req', 'empty: req/s', 'empty: p50', 'empty: p99', 'empty: cpu'];
const count = (n: number) => n.toLocaleString('en-US');

/** With --seed: the figures on the seeded store, next to the same scenario's on the empty one. */
function scaleRows(x: ScaleResult): string[][] {
  return x.scenarios.map((r) => [
    r.label, num(r.server.rps), num(r.server.p50, 2), num(r.server.p99, 2), num(r.server.cpuMsPerAnswer, 3),
    ...(r.empty ? [num(r.empty.rps), num(r.empty.p50, 2), num(r.empty.p99, 2), num(r.empty.cpuMsPerAnswer, 3)] : ['', '', '', '']),
  ]);
}

function scaleLines(x: ScaleResult): { title: string; notes: string[] } {
  const st = x.stream;
  return {
    title: `At ${count(x.customers)} seeded customers (+${count(x.keysets)} keysets): \`oem seed\` ${x.seedSeconds.toFixed(1)} s ` +
      `(${x.seedProcessSeconds.toFixed(1)} s with its process), store ${mib(x.storeBytes)} MiB on disk; server startup on it ${num(x.startupMs)} ms (restart: ${num(x.restartMs)} ms)`,
    notes: [
      `cursor walk of the whole list: ${count(x.walk.rows)} customers in ${count(x.walk.pages)} pages of 1,000, ${x.walk.seconds.toFixed(1)} s` +
        `${x.walk.inOrder ? '' : ' (NOT in order)'}; the deep page starts after customer ${count(x.deepOffset)}`,
      `whole list streamed (no limit) by the restarted server: ${count(st.rows)} customers, ${mib(st.bytes)} MiB in ${st.seconds.toFixed(1)} s; its RSS ` +
        `${mib(st.rssBefore)} MiB before, peak ${mib(st.rssPeak)} MiB (+${mib(st.rssPeak - st.rssBefore)}), ${mib(st.rssAfter)} MiB after`,
      `one client alone before the load rounds, ${x.alone.first.requests} requests each, taking turns: the first page of 100 p50 ${num(x.alone.first.p50, 2)} ms, p99 ${num(x.alone.first.p99, 2)} ms; ` +
        `the page 99% in p50 ${num(x.alone.deep.p50, 2)} ms, p99 ${num(x.alone.deep.p99, 2)} ms; ` +
        `the bare baseline in the same turns p50 ${num(x.alone.baseline.p50, 2)} ms, p99 ${num(x.alone.baseline.p99, 2)} ms (the machine's and the client's own jitter)`,
      ...x.scenarios.flatMap((r) => r.flags.map((f) => `! ${r.label}: ${f}`)),
    ],
  };
}

/** A table for stdout: the first column left-aligned, the figures right-aligned. */
function textTable(head: string[], body: string[][]): string[] {
  const table = [head, ...body];
  const widths = head.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

/** The same table in Markdown. */
function mdTable(head: string[], body: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)];
}

function scaleText(x: ScaleResult): string[] {
  const { title, notes } = scaleLines(x);
  return ['', title, ...textTable(SCALE_HEAD, scaleRows(x)), ...notes];
}

function scaleMarkdown(x: ScaleResult): string[] {
  const { title, notes } = scaleLines(x);
  return ['', `#### ${title}`, '', ...mdTable(SCALE_HEAD, scaleRows(x)), '', ...notes.map((n) => `- ${n.replace(/^! /, '').replace(/\|/g, '\\|')}`)];
}

/** Plain-text tables for stdout. */
export function textReport(report: BenchReport): string {
  const out: string[] = [];
  if (report.floor) out.push(floorLine(report.floor));
  for (const s of report.stores) {
    out.push('', `== ${storeName(s)}${s.skipped ? `: skipped (${s.skipped})` : ` (${s.where})`}`);
    if (s.skipped) continue;
    out.push(...textTable(HEAD, rows(s)));
    const floorRows = storeFloorRows(s);
    if (floorRows.length) out.push(`${STORE_FLOOR_TITLE}:`, ...textTable(STORE_FLOOR_HEAD, floorRows));
    out.push(startupLine(s));
    for (const r of s.scenarios) for (const f of r.flags) out.push(`! ${r.label}: ${f}`);
    if (s.serverLog.length) out.push(`! the server logged ${s.serverLog.length} warning/error line(s); first: ${s.serverLog[0]}`);
    if (s.scale) out.push(...scaleText(s.scale));
  }
  out.push('', '== targets');
  for (const t of report.targets) out.push(`${t.status.padEnd(12)} ${t.target}: ${t.measured}${t.flagged ? ' (flagged, see above)' : ''}`);
  return out.join('\n');
}

const NOTES_START = '<!-- notes -->';
const NOTES_END = '<!-- /notes -->';
const DEFAULT_NOTES = '_Hand-written notes (profiling, explanations) go here; the generator keeps this section._';

/** The hand-written notes of an existing report, or the placeholder. */
export function existingNotes(file: string): string {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const a = text.indexOf(NOTES_START);
  const b = text.indexOf(NOTES_END);
  return a >= 0 && b > a ? text.slice(a + NOTES_START.length, b).trim() : DEFAULT_NOTES;
}

export function markdownReport(report: BenchReport, notes: string): string {
  const { machine: m, settings: o } = report;
  const md: string[] = [
    '# Benchmarks', '',
    `Generated by \`npm run bench\` on ${report.date}. Everything outside the notes section is rewritten by the next run.`, '',
    '## Machine', '',
    '| | |', '|---|---|',
    `| CPU | ${m.cpu}, ${m.cores} cores |`, `| RAM | ${m.ramGiB} GiB |`, `| OS | ${m.os} |`,
    `| Node.js | ${m.node} |`, `| load generator | autocannon ${m.autocannon} (as a library, in the bench process) |`, '',
    '## Settings', '',
    `- ${o.connections} connections, ${o.duration} s per measured round, ${o.rounds} round(s) per target, ${o.warmup} s warm-up per target and scenario${o.quick ? ' (quick mode: the figures mean nothing)' : ''}.`,
    '- Rounds alternate baseline, server, baseline, server… per scenario; each figure is the median over the rounds, and the ratio is server req/s ÷ baseline req/s.',
    '- req/s counts 2xx answers only; p50 and p99 are the latencies of 2xx answers. Any non-2xx answer or socket error is counted and flagged.',
    '- cpu ms/req: CPU time (user + system, from /proc) of the answering process per answer; it moves far less than req/s when other work shares the machine.',
    '- Baseline: a bare `node:http` child process that reads the request and answers a fixed 269-byte JSON body (441 bytes with headers); it gets the same requests as the server. `bytes` is the server\'s mean answer, headers included.',
    `- Server: \`node dist/src/main.js\` as a child process on a fresh store, \`RATE_LIMIT_MAX=0\`, \`LOG_LEVEL=warn\`; SQLite at its default durability (WAL, every commit synced before its answer).`,
    `- Data, created through the API before measuring: 150 customers (50 holding 2 keysets each, read by "get"), one customer and keyset per connection for assign + unassign, and a pool of free keysets for create with keysets (${o.keysetsPerCreate} per create).`,
    '- Startup: spawn to the first 200 of `GET /readyz`, restarting the server on the store the scenarios filled.',
    ...(report.floor ? [`- ${floorLine(report.floor).replace(/^framework floor/, 'Framework floor (bench/floor.ts)')}.`] : []),
    ...(o.seed > 0 ? [
      `- At scale (\`--seed ${o.seed}\`): a second fresh store, filled by \`oem seed --customers ${o.seed} --keysets ${o.seedKeysets}\` before the server starts ` +
      '(keysets go round-robin, one each to the oldest customers), plus the data above through the API; the four scenarios alternate round by round ' +
      '(no baseline), "empty" repeats the figures of the empty store above. The deep page is a cursor 99% into the list, from a cursor walk of pages of 1,000. ' +
      'Memory: the server\'s VmRSS (from /proc), sampled every 20 ms while one request streams the whole list, on a server restarted for it (one just under load has heap slack that would hide growth).',
    ] : []),
    '',
    '## Targets', '',
    '| target | measured | status |', '|---|---|---|',
    ...report.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.status}${t.flagged ? ' (flagged)' : ''} |`), '',
    '## Results', '',
  ];
  for (const s of report.stores) {
    md.push(`### ${storeName(s)}`, '');
    if (s.skipped) {
      md.push(`Skipped: ${s.skipped}.`, '');
      continue;
    }
    md.push(`${s.where}.`, '', ...mdTable(HEAD, rows(s)));
    const floorRows = storeFloorRows(s);
    if (floorRows.length) md.push('', `${STORE_FLOOR_TITLE}.`, '', ...mdTable(STORE_FLOOR_HEAD, floorRows));
    md.push('', `${startupLine(s)}.`);
    const flags = s.scenarios.flatMap((r) => r.flags.map((f) => `- ${r.label}: ${f.replace(/\|/g, '\\|')}`));
    if (flags.length) md.push('', 'Flags:', '', ...flags);
    if (s.serverLog.length) md.push('', `The server logged ${s.serverLog.length} warning/error line(s) under load; the first: \`${s.serverLog[0]!.slice(0, 300).replace(/`/g, "'")}\``);
    if (s.scale) md.push(...scaleMarkdown(s.scale));
    md.push('');
  }
  md.push('## Notes', '', NOTES_START, notes, NOTES_END, '');
  return md.join('\n');
}

export function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}
