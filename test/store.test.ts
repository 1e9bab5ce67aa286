// The store layer: durability settings, URLs, migrations and bootstrap run by several processes at once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { bootstrap } from '../src/accounts/bootstrap.js';
import { hashApiKey } from '../src/accounts/accounts.service.js';
import { systemClock } from '../src/clock.js';
import { migrate, migrationNames, migrationsApplied } from '../src/db/migrations.js';
import { openStore, parseStoreUrl, StoreUrlError } from '../src/db/store.js';
import { freshStore, PG_URL, STORE_KINDS } from './helpers/harness.js';
import { emptyStore, startServerProcess } from './helpers/process.js';

describe('store URLs', () => {
  test('sqlite: relative and absolute paths, postgres:// and postgresql://', () => {
    assert.deepEqual(parseStoreUrl('sqlite:./data/oem.sqlite'), { dialect: 'sqlite', target: './data/oem.sqlite' });
    assert.deepEqual(parseStoreUrl('sqlite:/abs/x.sqlite'), { dialect: 'sqlite', target: '/abs/x.sqlite' });
    assert.deepEqual(parseStoreUrl('sqlite:///abs/x.sqlite'), { dialect: 'sqlite', target: '/abs/x.sqlite' });
    assert.equal(parseStoreUrl('postgres://u@h:5432/d').dialect, 'postgres');
    assert.equal(parseStoreUrl('postgresql://u@h:5432/d').dialect, 'postgres');
  });

  test('anything else is refused with a message that hides the password', () => {
    assert.throws(() => parseStoreUrl('mysql://user:secret@h/db'), (e: Error) => e instanceof StoreUrlError && !e.message.includes('secret'));
    assert.throws(() => parseStoreUrl('sqlite:'), StoreUrlError);
  });
});

describe('SQLite durability', () => {
  test('WAL, synchronous=NORMAL (the WAL is synced by the store itself, below) and foreign keys on', async () => {
    const h = await freshStore('sqlite');
    try {
      const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(h.store.db)).rows[0] as object)[0];
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('synchronous'), 1); // NORMAL: the commit itself does not fsync
      assert.equal(await pragma('foreign_keys'), 1);
    } finally {
      await h.destroy();
    }
  });

  test('every write is on disk before it resolves: the WAL file is fdatasynced after each commit, by any path', async () => {
    const h = await freshStore('sqlite');
    // Which descriptors fdatasync was called on, seen through fs itself (both forms).
    const synced: number[] = [];
    const { fdatasync, fdatasyncSync } = fs;
    fs.fdatasync = ((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => fdatasync(fd, (e) => (synced.push(fd), cb(e)))) as typeof fs.fdatasync;
    fs.fdatasyncSync = ((fd: number) => (fdatasyncSync(fd), synced.push(fd))) as typeof fs.fdatasyncSync;
    try {
      const wal = fs.statSync(`${h.url.slice('sqlite:'.length)}-wal`);
      const isWal = (fd: number) => fs.fstatSync(fd).ino === wal.ino;
      const insert = (db: typeof h.store.db, name: string) => db.insertInto('accounts').values({ name, oem_enabled: 1, created_at: new Date().toISOString() }).execute();
      const step = async (label: string, work: () => Promise<unknown>, expectSync: boolean) => {
        synced.length = 0;
        await work();
        assert.equal(synced.filter(isWal).length > 0, expectSync, `${label}: WAL synced ${synced.length} times`);
      };
      await step('a group commit of 20 concurrent writes', () => Promise.all(Array.from({ length: 20 }, (_, i) => h.store.write((trx) => insert(trx, `g${i}`)))), true);
      assert.ok(synced.length <= 2, `20 concurrent writes took ${synced.length} syncs`);
      await step('an autocommit write', () => insert(h.store.db, 'auto'), true);
      await step('an INSERT … RETURNING in autocommit', () => h.store.db.insertInto('accounts').values({ name: 'r', oem_enabled: 1, created_at: 'x' }).returningAll().execute(), true);
      await step('a transaction opened outside the group commit', () => h.store.db.transaction().execute((trx) => insert(trx, 'trx')), true);
      await step('a read', () => h.store.db.selectFrom('accounts').selectAll().execute(), false);
    } finally {
      fs.fdatasync = fdatasync;
      fs.fdatasyncSync = fdatasyncSync;
      await h.destroy();
    }
  });
});

for (const kind of STORE_KINDS) {
  describe(`migrations and bootstrap [${kind}]`, () => {
    test('migrating twice applies nothing the second time; readiness sees it', async () => {
      const h = await freshStore(kind);
      try {
        assert.equal(await migrationsApplied(h.store), true);
        assert.deepEqual(await migrate(h.store), []);
        assert.deepEqual(migrationNames(kind), ['0001_initial', '0002_signing_keys', '0003_users_sessions', '0004_keyset_configs', '0005_secret_keys', '0006_idempotency_keys']);
      } finally {
        await h.destroy();
      }
    });

    test('a migration that fails half-way leaves nothing of itself behind, and the next run applies it whole', async () => {
      const empty = await emptyStore(kind);
      const store = await openStore(empty.url);
      try {
        assert.deepEqual(await migrate(store, '0002_signing_keys'), ['0001_initial', '0002_signing_keys']);
        // 0003 creates users, its index, then sessions: a table in the way fails it after users exists.
        await sql`create table sessions (x integer)`.execute(store.db);
        await assert.rejects(migrate(store), /sessions/);
        const tables = async () => (await store.db.introspection.getTables()).filter((t) => t.schema === store.schema).map((t) => t.name);
        assert.ok(!(await tables()).includes('users'), 'the failed migration\'s first table was kept');
        await sql`drop table sessions`.execute(store.db);
        assert.deepEqual((await migrate(store)).slice(0, 1), ['0003_users_sessions']);
        assert.equal(await migrationsApplied(store), true);
      } finally {
        await store.close();
        await empty.destroy();
      }
    });

    // In one process SQLite has one connection; several SQLite connections in one process would
    // block each other's event loop, so SQLite's multi-process start is tested with real processes below.
    test('six bootstraps at once (as six processes would) create exactly one account and key', { skip: kind === 'sqlite' }, async () => {
      const h = await freshStore(kind);
      const stores = await Promise.all(Array.from({ length: 6 }, () => h.reopen()));
      try {
        const key = `oem_${randomBytes(16).toString('hex')}`;
        const results = await Promise.all(stores.map((s) => bootstrap(s, systemClock, key)));
        assert.equal(results.filter((r) => r !== undefined).length, 1);
        const accounts = await h.store.db.selectFrom('accounts').selectAll().execute();
        assert.deepEqual(accounts.map((a) => [a.name, a.oem_enabled]), [['Default partner', 1]]);
        const keys = await h.store.db.selectFrom('api_keys').selectAll().execute();
        assert.equal(keys.length, 1);
        assert.equal(keys[0]!.key_hash, hashApiKey(key));
        assert.equal(await bootstrap(h.store, systemClock, undefined), undefined);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await h.destroy();
      }
    });
  });
}

if (PG_URL) {
  describe('PostgreSQL migrations from several processes at once', () => {
    test('five stores migrating one empty schema together: every table once, no error', async () => {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const stores = await Promise.all(Array.from({ length: 5 }, () => openStore(PG_URL!, { pgSchema: schema })));
      try {
        const applied = await Promise.all(stores.map((s) => migrate(s)));
        assert.deepEqual(applied.flat(), ['0001_initial', '0002_signing_keys', '0003_users_sessions', '0004_keyset_configs', '0005_secret_keys', '0006_idempotency_keys']);
        for (const s of stores) assert.equal(await migrationsApplied(s), true);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      }
    });
  });
}

describe('SQLite: several server processes starting at once on an empty file', () => {
  test('all four come up; migrations and bootstrap happen once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-multi-'));
    const url = `sqlite:${path.join(dir, 'oem.sqlite')}`;
    const servers = await Promise.allSettled(Array.from({ length: 4 }, () => startServerProcess({ DATABASE_URL: url })));
    try {
      const why = servers.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : [])).join('\n---\n');
      assert.deepEqual(servers.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'], why);
      const printed = servers.map((s) => (s.status === 'fulfilled' ? s.value.stdout() : '')).filter((out) => out.includes('OEM_API_KEY='));
      assert.equal(printed.length, 1);
      const store = await openStore(url);
      assert.equal((await store.db.selectFrom('accounts').selectAll().execute()).length, 1);
      assert.equal(await migrationsApplied(store), true);
      await store.close();
    } finally {
      await Promise.all(servers.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
