// The bulk SQL of `oem seed`: multi-row INSERTs of rows the services' own builders made, and the
// store upkeep around a bulk load. Rows go through Kysely's typed builder, so a column the schema
// gains or changes breaks the seed at compile time instead of letting it drift from the API.
import { sql, type Insertable, type Kysely } from 'kysely';
import type { CustomerKeysetsTable, CustomersTable, DB, KeysetConfigsTable, KeysetsTable, SecretKeysTable } from '../db/schema.js';
import type { Dialect } from '../db/store.js';

/**
 * Rows per INSERT statement. On SQLite the time per row is flat from a few hundred rows on
 * (measured 100 to 5,000: within 10%), and 500 × 6 columns stays far below its 32,766 bind
 * parameters. PostgreSQL pays a round trip per statement, so it takes as many rows as its 65,535
 * bind parameters allow, with room to spare.
 */
function rowsPerStatement(dialect: Dialect, columns: number): number {
  return dialect === 'sqlite' ? 500 : Math.floor(60_000 / columns);
}

async function inStatements<R extends object>(dialect: Dialect, rows: R[], insert: (chunk: R[]) => Promise<unknown>): Promise<void> {
  if (rows.length === 0) return;
  const size = rowsPerStatement(dialect, Object.keys(rows[0]!).length);
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

/** The oldest OEM-enabled account (the bootstrap's "Default partner" on a store the server started). */
export async function firstOemAccountId(db: Kysely<DB>): Promise<number | undefined> {
  const row = await db.selectFrom('accounts').select('id').where('oem_enabled', '=', 1).orderBy('id').limit(1).executeTakeFirst();
  return row?.id;
}

export async function insertCustomers(db: Kysely<DB>, dialect: Dialect, rows: Insertable<CustomersTable>[]): Promise<void> {
  await inStatements(dialect, rows, (chunk) => db.insertInto('customers').values(chunk).execute());
}

export async function insertAssignments(db: Kysely<DB>, dialect: Dialect, rows: Insertable<CustomerKeysetsTable>[]): Promise<void> {
  await inStatements(dialect, rows, (chunk) => db.insertInto('customer_keysets').values(chunk).execute());
}

/** Inserts keysets; returns their new ids in ascending order (which row got which id does not matter to the seed). */
export async function insertKeysets(db: Kysely<DB>, dialect: Dialect, rows: Insertable<KeysetsTable>[]): Promise<number[]> {
  const ids: number[] = [];
  await inStatements(dialect, rows, async (chunk) => {
    for (const r of await db.insertInto('keysets').values(chunk).returning('id').execute()) ids.push(r.id);
  });
  return ids.sort((a, b) => a - b);
}

export async function insertSecretKeys(db: Kysely<DB>, dialect: Dialect, rows: Insertable<SecretKeysTable>[]): Promise<void> {
  await inStatements(dialect, rows, (chunk) => db.insertInto('secret_keys').values(chunk).execute());
}

export async function insertKeysetConfigs(db: Kysely<DB>, dialect: Dialect, rows: Insertable<KeysetConfigsTable>[]): Promise<void> {
  await inStatements(dialect, rows, (chunk) => db.insertInto('keyset_configs').values(chunk).execute());
}

/**
 * SQLite: the page cache of this connection, in KiB (a negative cache_size is KiB, SQLite's own
 * convention). Only the seed's connection is resized; the server's connections keep the default.
 */
export async function sqliteCacheSize(db: Kysely<DB>, set?: number): Promise<number> {
  if (set !== undefined) await sql.raw(`pragma cache_size = ${Math.trunc(set)}`).execute(db);
  const r = await sql<{ cache_size: number }>`pragma cache_size`.execute(db);
  return Number(r.rows[0]?.cache_size);
}

/**
 * SQLite: copies the WAL into the database file and empties it, so the file holds the whole seed
 * and its size is the store's (SQLite syncs the WAL before a checkpoint and the database file
 * after it, at synchronous FULL and NORMAL alike). A busy result (a server reading meanwhile)
 * leaves the WAL for the next checkpoint; nothing is lost either way.
 */
export async function sqliteCheckpoint(db: Kysely<DB>): Promise<void> {
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
}

/** SQLite: the main database file ('' for an in-memory store). */
export async function sqliteFile(db: Kysely<DB>): Promise<string> {
  const r = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
  return r.rows.find((d) => d.name === 'main')?.file ?? '';
}

/**
 * PostgreSQL: fresh planner statistics for the tables the seed filled. Autovacuum would gather
 * them within minutes; a benchmark that starts right after a million-row load should not run on
 * plans made for an empty table meanwhile. (SQLite keeps no statistics unless ANALYZE ran, and the
 * server never runs it, so the seed does not either: its plans stay the ones the server has.)
 */
export async function pgAnalyze(db: Kysely<DB>): Promise<void> {
  await sql`analyze accounts, apps, keysets, keyset_configs, secret_keys, customers, customer_keysets`.execute(db);
}

/** PostgreSQL: bytes of every table of the current schema, indexes and TOAST included. */
export async function pgSchemaBytes(db: Kysely<DB>): Promise<number> {
  const r = await sql<{ bytes: string | number | null }>`
    select sum(pg_total_relation_size(c.oid)) as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p')`.execute(db);
  return Number(r.rows[0]?.bytes ?? 0);
}
