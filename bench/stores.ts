// Fresh stores for one run: a SQLite file in a new temporary folder (the server's default
// durability: WAL, every commit synced before its answer), or a new schema in the PostgreSQL database named by
// BENCH_DATABASE_URL / TEST_DATABASE_URL. Both are removed afterwards.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { StoreChoice } from './cli.js';
import { cleanups } from './processes.js';

export interface BenchStore {
  kind: StoreChoice;
  /** The server's DATABASE_URL. */
  url: string;
  /** For the report: where the data lived, without credentials. */
  describe: string;
  destroy(): Promise<void>;
}

export async function createStore(kind: StoreChoice, dataDir: string, pgUrl: string | undefined): Promise<BenchStore> {
  const store = await newStore(kind, dataDir, pgUrl);
  const destroy = async () => {
    cleanups.delete(destroy);
    await store.destroy();
  };
  cleanups.add(destroy);
  return { ...store, destroy };
}

async function newStore(kind: StoreChoice, dataDir: string, pgUrl: string | undefined): Promise<BenchStore> {
  if (kind === 'sqlite') {
    fs.mkdirSync(dataDir, { recursive: true });
    const dir = fs.mkdtempSync(path.join(dataDir, 'oem-bench-'));
    const file = path.join(dir, 'oem.sqlite');
    return {
      kind, url: `sqlite:${file}`, describe: `SQLite file in ${dataDir}`,
      destroy: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (!pgUrl) throw new Error('no PostgreSQL URL');
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  await admin(pgUrl, `create schema ${schema}`);
  const u = new URL(pgUrl);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const safe = new URL(pgUrl);
  safe.password = '';
  safe.username = '';
  return {
    kind, url: u.toString(), describe: `PostgreSQL ${await serverVersion(pgUrl)}, schema ${schema} in ${safe.host}${safe.pathname}`,
    destroy: () => admin(pgUrl, `drop schema if exists ${schema} cascade`),
  };
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ server_version: string }>('show server_version');
    return r.rows[0]?.server_version ?? '?';
  } finally {
    await client.end();
  }
}
