// A store is a Kysely instance over SQLite (embedded default) or PostgreSQL, chosen by URL.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { GroupCommit } from './group-commit.js';
import { TrackedSqliteDialect } from './sqlite-direct.js';
import { SqliteDurability } from './sqlite-durability.js';
import type { DB } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** PostgreSQL: the schema tables live in (first of search_path); Kysely's own tables go there too. */
  readonly schema?: string;
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>;
  /**
   * Runs fn in one write transaction; on any throw nothing of it is written. Resolves only once
   * the write is committed (on SQLite, possibly in one transaction with concurrent writes).
   */
  write<T>(fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>;
  /**
   * A write of exactly one statement, which is atomic by itself: on PostgreSQL it runs without
   * BEGIN and COMMIT (two round trips fewer); on SQLite it joins the group commit like any write.
   */
  writeSingle<T>(fn: (db: Kysely<DB>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class StoreUrlError extends Error {}

// int8 (counts, bigint ids) as JS numbers: every id and count here stays below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface StoreOptions {
  /** PostgreSQL only: a schema to use (created if missing); tests use one per store. */
  pgSchema?: string;
  poolSize?: number;
}

export function parseStoreUrl(url: string): { dialect: Dialect; target: string } {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new StoreUrlError('DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/oem.sqlite');
    return { dialect: 'sqlite', target: file };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', target: url };
  throw new StoreUrlError(`DATABASE_URL must start with sqlite: or postgres:// (got "${url.replace(/:[^:@/]*@/, ':***@')}")`);
}

export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const { dialect, target } = parseStoreUrl(url);
  return dialect === 'sqlite' ? openSqlite(target) : openPostgres(target, options);
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new SQLite(file);
  // WAL, and every acknowledged write synced to disk first, so it survives a process crash and a
  // power loss: synchronous=NORMAL plus our own fdatasync of the WAL after each commit, off the
  // event loop for group commits (src/db/sqlite-durability.ts). busy_timeout first: switching to
  // WAL needs a lock that another starting process may hold.
  database.pragma('busy_timeout = 5000');
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  const durability = new SqliteDurability(database, file === ':memory:' ? undefined : `${path.resolve(file)}-wal`);
  cachePreparedStatements(database, (statement) => durability.guard(statement));
  const dialect = new TrackedSqliteDialect(database);
  const db = new Kysely<DB>({ dialect });
  dialect.enableDirectReads(db);
  // Concurrent writes share one BEGIN IMMEDIATE ... COMMIT, each in its own savepoint, so one
  // fsync serves many requests (src/db/group-commit.ts). BEGIN IMMEDIATE takes the write lock up
  // front, so two processes never both read and then race to upgrade (a deferred transaction
  // would fail with SQLITE_BUSY instead of waiting busy_timeout for the other process).
  const group = new GroupCommit(db, () => database.inTransaction, (conn) => durability.commit(conn));
  return {
    db,
    dialect: 'sqlite',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    write: (fn) => group.write(fn),
    writeSingle: (fn) => group.write(fn),
    close: async () => {
      await group.idle();
      await db.destroy();
      durability.close();
    },
  };
}

/**
 * Kysely asks better-sqlite3 to prepare every query it runs, and preparing costs about as much as
 * running a simple query. The same SQL text (Kysely's parameters are always bound, never inlined)
 * gets its statement back from a bounded least-recently-used cache instead. A statement still
 * being iterated (busy) is never handed out twice; SQLite re-prepares a cached statement by itself
 * after a schema change.
 */
function cachePreparedStatements(database: SQLite.Database, wrap: (s: SQLite.Statement) => SQLite.Statement, max = 500): void {
  const prepare = database.prepare.bind(database);
  const cache = new Map<string, SQLite.Statement>();
  database.prepare = ((source: string) => {
    const cached = cache.get(source);
    if (cached && !cached.busy) {
      cache.delete(source);
      cache.set(source, cached);
      return cached;
    }
    const statement = wrap(prepare(source));
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(source, statement);
    return statement;
  }) as typeof database.prepare;
}

/** PostgreSQL aborts one side of a deadlock or serialization conflict; the transaction is safe to run again. */
async function retryOnConflict<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= attempts || (code !== '40P01' && code !== '40001')) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

async function openPostgres(url: string, options: StoreOptions): Promise<Store> {
  const schema = options.pgSchema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new StoreUrlError(`bad schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client that loses its connection emits 'error'; without a listener the process dies.
  pool.on('error', () => {});
  if (schema) {
    // "if not exists" still races between connections; losing that race is fine.
    await pool.query(`create schema if not exists ${schema}`).catch((error: { code?: string }) => {
      if (error.code !== '23505' && error.code !== '42P06') throw error;
    });
  }
  const current = (await pool.query<{ schema: string }>('select current_schema() as schema')).rows[0]?.schema ?? 'public';
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    schema: current,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    write: (fn) => retryOnConflict(() => db.transaction().execute(fn)),
    writeSingle: (fn) => fn(db),
    close: () => db.destroy(),
  };
}
