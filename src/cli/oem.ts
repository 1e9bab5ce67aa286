// The `oem` command: administers the store named by DATABASE_URL and prints one JSON object.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AccountsService, parseDuration } from '../accounts/accounts.service.js';
import { isPermission, PERMISSIONS } from '../accounts/permissions.js';
import { systemClock } from '../clock.js';
import { ConfigError, databaseUrlFrom, loadConfig } from '../config.js';
import { MAX_KEYSETS_PER_CUSTOMER } from '../customers/customer-rules.js';
import { migrate } from '../db/migrations.js';
import { openStore, StoreUrlError, type Store } from '../db/store.js';
import { AppError } from '../errors.js';
import { closeOnSignals, startServer } from '../server.js';
import { MAX_SEED_CUSTOMERS, SeedService } from '../seed/seed.service.js';
import { SigningKeys } from '../tokens/signing-keys.js';
import { UsersService } from '../users/users.service.js';
import { progressReporter } from './progress.js';

const USAGE = `usage: oem <command> [options]   (acts on DATABASE_URL, default sqlite:./data/oem.sqlite)

  oem accounts create --name NAME [--no-oem]
  oem keys create --account ID --permissions P1,P2,... [--expires-in 30s|15m|12h|7d]
  oem keys list --account ID
  oem keys revoke KEY_ID
  oem signing-keys rotate
  oem users create --account ID --email EMAIL --password PASSWORD
  oem users set-password --email EMAIL --password PASSWORD   (ends the user's sessions)
  oem seed --customers N [--keysets M] [--account ID]   (bulk-fills the store, for benchmarks)
  oem migrate
  oem serve

permissions: ${PERMISSIONS.join(', ')}`;

class UsageError extends Error {}

function positiveInt(value: string | undefined, flag: string): number {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  if (!/^[1-9][0-9]{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`${flag} must be a positive integer (got "${value}")`);
  return Number(value);
}

/** A count that may be 0. */
function count(value: string | undefined, flag: string): number {
  if (value === undefined || value === '0') return 0;
  return positiveInt(value, flag);
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>, positionals = 0) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length !== positionals) throw new UsageError(`expected ${positionals} argument(s), got ${parsed.positionals.length}`);
    return parsed;
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

/** --email and --password; the password may come from OEM_PASSWORD instead, to keep it off the command line. */
function credentials(values: Record<string, unknown>): { email: string; password: string } {
  if (typeof values.email !== 'string') throw new UsageError('--email is required');
  const password = typeof values.password === 'string' ? values.password : process.env.OEM_PASSWORD;
  if (password === undefined) throw new UsageError('--password (or the OEM_PASSWORD variable) is required');
  return { email: values.email, password };
}

async function withStore<T>(fn: (store: Store, accounts: AccountsService) => Promise<T>): Promise<T> {
  const store = await openStore(databaseUrlFrom(process.env));
  try {
    await migrate(store);
    return await fn(store, new AccountsService(store.db, systemClock));
  } finally {
    await store.close();
  }
}

async function run(argv: string[]): Promise<unknown> {
  const [group, action, ...rest] = argv;
  const command = [group, action].filter(Boolean).join(' ');
  switch (group === 'migrate' || group === 'serve' || group === 'seed' ? group : command) {
    case 'accounts create': {
      const { values } = parse(rest, { name: { type: 'string' }, 'no-oem': { type: 'boolean' } });
      if (typeof values.name !== 'string') throw new UsageError('--name is required');
      const name = values.name;
      return withStore((_s, accounts) => accounts.createAccount({ name, oemEnabled: !values['no-oem'] }));
    }
    case 'keys create': {
      const { values } = parse(rest, { account: { type: 'string' }, permissions: { type: 'string' }, 'expires-in': { type: 'string' } });
      const accountId = positiveInt(values.account as string | undefined, '--account');
      if (typeof values.permissions !== 'string') throw new UsageError('--permissions is required');
      const permissions = values.permissions.split(',').map((p: string) => p.trim()).filter(Boolean);
      const unknown = permissions.filter((p) => !isPermission(p));
      if (unknown.length > 0 || permissions.length === 0) {
        throw new UsageError(`--permissions must list one or more of ${PERMISSIONS.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
      }
      let expiresInMs: number | undefined;
      if (values['expires-in'] !== undefined) {
        expiresInMs = parseDuration(String(values['expires-in']));
        if (expiresInMs === undefined) throw new UsageError(`--expires-in must look like 30s, 15m, 12h or 7d (got "${values['expires-in']}")`);
      }
      return withStore((_s, accounts) => accounts.createApiKey({ accountId, permissions, expiresInMs }));
    }
    case 'keys list': {
      const { values } = parse(rest, { account: { type: 'string' } });
      const accountId = positiveInt(values.account as string | undefined, '--account');
      return withStore(async (_s, accounts) => ({ keys: await accounts.listApiKeys(accountId) }));
    }
    case 'keys revoke': {
      const { positionals } = parse(rest, {}, 1);
      const id = positiveInt(positionals[0], 'KEY_ID');
      return withStore((_s, accounts) => accounts.revokeApiKey(id));
    }
    case 'signing-keys rotate': {
      parse(rest, {});
      return withStore((store) => new SigningKeys(store, systemClock).rotate());
    }
    case 'users create': {
      const { values } = parse(rest, { account: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } });
      const accountId = positiveInt(values.account as string | undefined, '--account');
      const { email, password } = credentials(values);
      return withStore((s) => new UsersService(s, systemClock).createUser({ accountId, email, password }));
    }
    case 'users set-password': {
      const { values } = parse(rest, { email: { type: 'string' }, password: { type: 'string' } });
      const { email, password } = credentials(values);
      return withStore((s) => new UsersService(s, systemClock).setPassword({ email, password }));
    }
    case 'seed': {
      const { values } = parse(argv.slice(1), { customers: { type: 'string' }, keysets: { type: 'string' }, account: { type: 'string' } });
      const customers = positiveInt(values.customers as string | undefined, '--customers');
      if (customers > MAX_SEED_CUSTOMERS) throw new UsageError(`--customers must be at most ${MAX_SEED_CUSTOMERS}`);
      const keysets = count(values.keysets as string | undefined, '--keysets');
      if (keysets > customers * MAX_KEYSETS_PER_CUSTOMER) {
        throw new UsageError(`--keysets must be at most ${MAX_KEYSETS_PER_CUSTOMER} × --customers (${customers * MAX_KEYSETS_PER_CUSTOMER}): a customer holds at most ${MAX_KEYSETS_PER_CUSTOMER}`);
      }
      const accountId = values.account === undefined ? undefined : positiveInt(values.account as string, '--account');
      // Validated as the server validates it: a store seeded first must bootstrap as the server's first start would.
      const bootstrapKey = process.env.OEM_BOOTSTRAP_API_KEY?.trim() ? loadConfig(process.env).bootstrapApiKey : undefined;
      const progress = progressReporter(process.stderr);
      return withStore((store) => new SeedService(store, systemClock, bootstrapKey).run({ customers, keysets, accountId }, progress));
    }
    case 'migrate': {
      parse(argv.slice(1), {});
      return withStore(async () => ({ migrated: true }));
    }
    case 'serve': {
      parse(argv.slice(1), {});
      const { app, store } = await startServer();
      closeOnSignals(app, store);
      return undefined;
    }
    default:
      throw new UsageError(group === undefined || group === 'help' || group === '--help' ? '' : `unknown command "${command}"`);
  }
}

try {
  const result = await run(process.argv.slice(2));
  if (result !== undefined) process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message ? `oem: ${error.message}\n\n` : ''}${USAGE}\n`);
    process.exit(error.message ? 2 : 0);
  }
  const known = error instanceof AppError || error instanceof ConfigError || error instanceof StoreUrlError;
  process.stderr.write(`oem: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
}
