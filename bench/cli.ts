// Command-line options of `npm run bench`. Every option has a default, so a bare run is the full
// benchmark; --quick shrinks the defaults for the CI smoke test, and explicit options still win.
import os from 'node:os';
import path from 'node:path';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.js';

export type StoreChoice = 'sqlite' | 'postgres';

export interface BenchOptions {
  duration: number;
  connections: number;
  rounds: number;
  warmup: number;
  startupSamples: number;
  stores: StoreChoice[];
  scenarios: ScenarioName[];
  quick: boolean;
  json: string | undefined;
  /** Where BENCHMARKS.md goes; undefined = do not write it. */
  outMd: string | undefined;
  dataDir: string;
  pgUrl: string | undefined;
  /** Customers `oem seed` puts in a second, fresh store for the figures at scale; 0 = no such run. */
  seed: number;
  /** Keysets seeded with them (assigned round-robin, one per customer from the first on). */
  seedKeysets: number;
}

export const USAGE = `Usage: npm run bench -- [options]

Starts a bare node:http baseline and this server as child processes and drives both with
autocannon, alternating rounds (baseline, server, baseline, server, ...) per scenario.

  --duration S        seconds per measured round (default 10; quick 1)
  --connections N     concurrent connections (default 50; quick 4)
  --rounds N          measured rounds per target and scenario (default 3; quick 1)
  --warmup S          unmeasured seconds per target and scenario before the rounds (default 2; quick 0)
  --startup-samples N restarts on the existing store to time startup (default 5; quick 1)
  --store S           sqlite | postgres | both (default both; quick sqlite)
  --scenarios LIST    comma-separated subset of: ${SCENARIO_NAMES.join(',')}
  --quick             small, fast settings for a smoke test (numbers are not meaningful)
  --json FILE         also write the results as JSON to FILE
  --out-md FILE       write the report here instead of docs/BENCHMARKS.md
  --no-md             do not write the Markdown report
  --data-dir DIR      parent folder of the temporary SQLite stores (default the OS temp folder)
  --seed N            also measure at scale: a second fresh store filled by \`oem seed --customers N\`
                      before the server starts; reports seed time, store size, get and create against
                      their empty-store figures, the first page against one near the end, a cursor
                      walk of the whole list and the server's memory while it streams all of it
  --seed-keysets M    keysets seeded with them (default N/10; at most 5 × N)
  --help              this text

PostgreSQL: BENCH_DATABASE_URL, else TEST_DATABASE_URL; a fresh schema is created in that
database and dropped afterwards. Without either, PostgreSQL is skipped with a note.`;

export class UsageError extends Error {}

function positive(name: string, value: string | undefined, integer: boolean): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${name} needs a positive ${integer ? 'integer' : 'number'}, got ${value ?? 'nothing'}`);
  }
  return n;
}

/** Parses argv (without node and the script); `defaultMd` is the repository's docs/BENCHMARKS.md. */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv, defaultMd: string): BenchOptions | 'help' {
  const flags = ['help', 'quick', 'no-md'];
  const valued = ['duration', 'connections', 'rounds', 'warmup', 'startup-samples', 'store', 'scenarios', 'json', 'out-md', 'data-dir', 'seed', 'seed-keysets'];
  const given = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!flags.includes(name) && !valued.includes(name)) throw new UsageError(`unknown option --${name}`);
    if (flags.includes(name)) {
      given.set(name, true);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    given.set(name, value);
  }
  if (given.has('help')) return 'help';
  const str = (name: string) => {
    const v = given.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const quick = given.has('quick');
  const num = (name: string, full: number, fast: number, integer = true) =>
    given.has(name) ? positive(`--${name}`, str(name), integer) : quick ? fast : full;

  const store = str('store') ?? (quick ? 'sqlite' : 'both');
  if (!['sqlite', 'postgres', 'both'].includes(store)) throw new UsageError(`--store must be sqlite, postgres or both, got ${store}`);
  const scenarios = (str('scenarios')?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...SCENARIO_NAMES]) as ScenarioName[];
  for (const s of scenarios) if (!SCENARIO_NAMES.includes(s)) throw new UsageError(`unknown scenario ${s} (known: ${SCENARIO_NAMES.join(', ')})`);
  if (scenarios.length === 0) throw new UsageError('--scenarios names none');
  // --warmup 0 is meaningful (no warm-up), so it is parsed apart from the positive options.
  const warmupText = str('warmup');
  const warmup = warmupText === undefined ? (quick ? 0 : 2) : Number(warmupText);
  if (!Number.isFinite(warmup) || warmup < 0) throw new UsageError(`--warmup needs a number ≥ 0, got ${warmupText}`);
  const seed = given.has('seed') ? positive('--seed', str('seed'), true) : 0;
  if (given.has('seed-keysets') && !seed) throw new UsageError('--seed-keysets needs --seed');
  const seedKeysetsText = str('seed-keysets');
  const seedKeysets = seedKeysetsText === undefined ? Math.floor(seed / 10) : seedKeysetsText === '0' ? 0 : positive('--seed-keysets', seedKeysetsText, true);
  if (seedKeysets > seed * 5) throw new UsageError(`--seed-keysets must be at most 5 × --seed (${seed * 5})`);

  return {
    duration: num('duration', 10, 1, false),
    connections: num('connections', 50, 4),
    rounds: num('rounds', 3, 1),
    warmup,
    startupSamples: num('startup-samples', 5, 1),
    stores: store === 'both' ? ['sqlite', 'postgres'] : [store as StoreChoice],
    scenarios: SCENARIO_NAMES.filter((s) => scenarios.includes(s)),
    quick,
    json: str('json'),
    outMd: given.has('no-md') ? undefined : path.resolve(str('out-md') ?? defaultMd),
    dataDir: path.resolve(str('data-dir') ?? os.tmpdir()),
    pgUrl: env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || undefined,
    seed,
    seedKeysets,
  };
}
