// `oem seed`: fills a store fast with customers (and keysets they hold) for benchmarks. Every row is
// made by the builder the API's own create uses, so seeded data is what the API would have made:
// random UUIDs, real publish/subscribe/secret keys (stored hashed with their prefixes), the default
// keyset config. Rows are written in large transactions of multi-row INSERTs; each transaction is
// whole (an interrupted seed leaves complete customers and keysets, never half of one), and each
// goes through store.write at the store's own durability, never relaxed: with 20,000 rows a
// commit the syncs are rare (SQLite with synchronous=OFF for the seed measured 15 s instead of
// 18 s for a million customers, not worth a window in which a power loss could corrupt the store).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { bootstrap } from '../accounts/bootstrap.js';
import { findAccount } from '../accounts/accounts.repository.js';
import { insertApp } from '../apps/apps.repository.js';
import { newAppRow } from '../apps/apps.service.js';
import type { Clock } from '../clock.js';
import { assignmentRows } from '../customers/assignments.repository.js';
import { MAX_KEYSETS_PER_CUSTOMER } from '../customers/customer-rules.js';
import type { CustomerRow } from '../customers/customers.repository.js';
import { newCustomerRow } from '../customers/customers.service.js';
import type { Store } from '../db/store.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { keysetConfigRow } from '../keysets/keyset-config.repository.js';
import { newKeysetConfig } from '../keysets/keyset-config.service.js';
import { newSecretKey } from '../keysets/keys.js';
import { newKeysetRow } from '../keysets/keysets.service.js';
import { permanentSecretKeyRow } from '../keysets/secret-keys.service.js';
import * as repo from './seed.repository.js';

/** Large enough that commits (and their fsyncs) are rare, small enough that a server sharing the store waits well under its 5 s busy timeout. */
export const CUSTOMERS_PER_TRANSACTION = 20_000;
/** A keyset is three rows (keyset, secret key, config of about 800 bytes). */
export const KEYSETS_PER_TRANSACTION = 5_000;
/** Customers backdate one millisecond each (see run); past this the dates stop looking like a store's. */
export const MAX_SEED_CUSTOMERS = 100_000_000;
/**
 * SQLite page cache of the seed's connection, in KiB. Customer ids are random UUIDs, so every
 * insert lands somewhere in the primary-key index; with SQLite's default 2 MiB cache most of those
 * pages are re-read from the OS (measured on 200,000 customers: 3.4 s with the default, 1.9 s with
 * 256 MiB; on 1,000,000, 22 s with 64 MiB, 20 s with 128 MiB, 18 s with 256 MiB on a noisy machine).
 */
const SEED_CACHE_KIB = 131_072;

export interface SeedInput {
  customers: number;
  keysets: number;
  /** Default: the oldest OEM account. */
  accountId?: number;
}

export interface SeedResult {
  accountId: number;
  /** The app the keysets were made in; null when no keysets were asked for. */
  appId: number | null;
  /** In every externalId this run made (`seed-<runId>-<n>`), so runs never collide. */
  runId: string;
  customers: number;
  keysets: number;
  seconds: number;
  /** SQLite: the database file and its WAL; PostgreSQL: every table of the schema with its indexes. */
  storeBytes: number;
}

export type SeedPhase = 'keysets' | 'customers';
/** Called with 0 as a phase starts, then after each committed transaction. */
export type SeedProgress = (phase: SeedPhase, done: number, total: number) => void;

const iso = (ms: number) => new Date(ms).toISOString();

export class SeedService {
  /** `bootstrapKey`: OEM_BOOTSTRAP_API_KEY; with it, a store the server never started is bootstrapped as its first start would. */
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly bootstrapKey?: string) {}

  async run(input: SeedInput, progress: SeedProgress = () => {}): Promise<SeedResult> {
    const { customers, keysets } = input;
    if (!Number.isSafeInteger(customers) || customers < 1 || customers > MAX_SEED_CUSTOMERS) {
      throw badRequest(`customers must be 1 to ${MAX_SEED_CUSTOMERS}`);
    }
    if (!Number.isSafeInteger(keysets) || keysets < 0 || keysets > customers * MAX_KEYSETS_PER_CUSTOMER) {
      throw badRequest(`keysets must be 0 to ${MAX_KEYSETS_PER_CUSTOMER} × customers (a customer holds at most ${MAX_KEYSETS_PER_CUSTOMER})`);
    }
    const started = performance.now();
    const accountId = await this.account(input.accountId);
    const runId = randomBytes(4).toString('hex');
    // One millisecond per row, the last customer one millisecond before now: created times are
    // distinct and increasing in the order of the list, and customers the API creates afterwards
    // come after them, as they would have.
    const t0 = this.clock.now().getTime() - keysets - customers;
    const sqlite = this.store.dialect === 'sqlite';
    const cacheBefore = sqlite ? await repo.sqliteCacheSize(this.store.db) : 0;
    let appId: number | null = null;
    try {
      if (sqlite) await repo.sqliteCacheSize(this.store.db, -SEED_CACHE_KIB);
      let keysetIds: number[] = [];
      if (keysets > 0) {
        appId = (await insertApp(this.store.db, newAppRow(accountId, `Seed app ${runId}`, iso(t0)))).id;
        keysetIds = await this.keysets(accountId, appId, keysets, t0, progress);
      }
      await this.customers(accountId, runId, customers, keysetIds, t0 + keysets, progress);
    } finally {
      if (sqlite) await repo.sqliteCacheSize(this.store.db, cacheBefore);
    }
    if (sqlite) await repo.sqliteCheckpoint(this.store.db);
    else await repo.pgAnalyze(this.store.db);
    const storeBytes = await this.storeBytes();
    return { accountId, appId, runId, customers, keysets, seconds: Math.round(performance.now() - started) / 1000, storeBytes };
  }

  private async account(requested: number | undefined): Promise<number> {
    if (requested !== undefined) {
      const row = await findAccount(this.store.db, requested);
      if (!row) throw notFound(`account ${requested} not found`);
      // Its keys get 403 on /v2/oem/…: seeded customers there would be unreachable.
      if (row.oem_enabled !== 1) throw badRequest(`account ${requested} is not an OEM partner (created with --no-oem)`);
      return row.id;
    }
    const first = await repo.firstOemAccountId(this.store.db);
    if (first !== undefined) return first;
    if (this.bootstrapKey !== undefined) {
      // The same claim as the server's first start: whichever of the two runs first bootstraps.
      const boot = await bootstrap(this.store, this.clock, this.bootstrapKey);
      const id = boot?.accountId ?? (await repo.firstOemAccountId(this.store.db));
      if (id !== undefined) return id;
    }
    throw new AppError('NotFound', 'the store has no OEM account: start the server once (it creates "Default partner"), ' +
      'create one with `oem accounts create`, or set OEM_BOOTSTRAP_API_KEY to bootstrap the store now');
  }

  /** `count` keysets in the app, keyset j created at t0 + j ms; returns their ids, ascending. */
  private async keysets(accountId: number, appId: number, count: number, t0: number, progress: SeedProgress): Promise<number[]> {
    // The config keyset create stores when none is sent: the defaults, checked by the same rules.
    const config = newKeysetConfig(undefined);
    const ids: number[] = [];
    progress('keysets', 0, count);
    for (let base = 0; base < count; base += KEYSETS_PER_TRANSACTION) {
      const end = Math.min(count, base + KEYSETS_PER_TRANSACTION);
      const rows: ReturnType<typeof newKeysetRow>[] = [];
      for (let j = base; j < end; j++) rows.push(newKeysetRow(accountId, appId, `Seed keyset ${j + 1}`, 'testing', iso(t0 + j)));
      const batch = await this.store.write(async (trx) => {
        const made = await repo.insertKeysets(trx, this.store.dialect, rows);
        // Secret keys are drawn and hashed here and never leave: like an API client that dropped
        // the create response, nobody knows them; `POST …/secret-keys` rotates one in if needed.
        await repo.insertSecretKeys(trx, this.store.dialect, made.map((id, k) => permanentSecretKeyRow(id, newSecretKey(), rows[k]!.created_at)));
        await repo.insertKeysetConfigs(trx, this.store.dialect, made.map((id) => keysetConfigRow(id, config)));
        return made;
      });
      ids.push(...batch);
      progress('keysets', end, count);
    }
    return ids;
  }

  /**
   * `count` customers, customer i created at start + i ms, externalId seed-<runId>-<i+1>. Keysets
   * go round-robin: keyset j to customer j mod count, so none is held twice and, as there are at
   * most 5 × count keysets, no customer holds more than 5; each is assigned when its customer is created.
   */
  private async customers(accountId: number, runId: string, count: number, keysetIds: number[], start: number, progress: SeedProgress): Promise<void> {
    // Zero-padded, so the externalIds of a run sort in creation order and their unique index
    // grows at its end instead of everywhere.
    const width = String(count).length;
    progress('customers', 0, count);
    for (let base = 0; base < count; base += CUSTOMERS_PER_TRANSACTION) {
      const end = Math.min(count, base + CUSTOMERS_PER_TRANSACTION);
      const rows: CustomerRow[] = [];
      const assignments: ReturnType<typeof assignmentRows> = [];
      for (let i = base; i < end; i++) {
        const at = iso(start + i);
        const row = newCustomerRow(accountId, `seed-${runId}-${String(i + 1).padStart(width, '0')}`, `Seed customer ${i + 1}`, at);
        rows.push(row);
        const held: number[] = [];
        for (let j = i; j < keysetIds.length; j += count) held.push(keysetIds[j]!);
        if (held.length > 0) assignments.push(...assignmentRows(row.id, held, at));
      }
      await this.store.write(async (trx) => {
        await repo.insertCustomers(trx, this.store.dialect, rows);
        await repo.insertAssignments(trx, this.store.dialect, assignments);
      });
      progress('customers', end, count);
    }
  }

  private async storeBytes(): Promise<number> {
    if (this.store.dialect === 'postgres') return repo.pgSchemaBytes(this.store.db);
    const file = await repo.sqliteFile(this.store.db);
    const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
    return file ? size(file) + size(`${file}-wal`) : 0;
  }
}
