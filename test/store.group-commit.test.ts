// Group commit on SQLite (src/db/group-commit.ts): concurrent writes share one transaction, each in
// its own savepoint; a write settles only once its batch is committed. Over real files, with a
// second connection to the same file as the observer of what is committed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { GroupCommit, TransactionEndedError } from '../src/db/group-commit.js';
import { openStore } from '../src/db/store.js';

interface TestDB {
  t: { v: string };
  child: { parent: string };
}

const dirs: string[] = [];
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A GroupCommit over a fresh file set up as the store sets SQLite up, and a second connection to observe it. */
function fresh(maxBatch?: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-gc-'));
  dirs.push(dir);
  const file = path.join(dir, 'gc.sqlite');
  const database = new SQLite(file);
  database.pragma('busy_timeout = 5000');
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.exec(`create table t (v text primary key);
    create table parent (id text primary key);
    create table child (parent text references parent(id) deferrable initially deferred);
    create table once (v text unique on conflict rollback);`);
  const db = new Kysely<TestDB>({ dialect: new SqliteDialect({ database }) });
  const group = new GroupCommit(db, () => database.inTransaction, undefined, maxBatch);
  const observer = new SQLite(file, { readonly: true });
  const committed = () => (observer.prepare('select v from t order by v').all() as { v: string }[]).map((r) => r.v);
  return {
    group, committed,
    insert: (v: string) => (trx: Kysely<TestDB>) => trx.insertInto('t').values({ v }).execute().then(() => v),
    close: async () => {
      observer.close();
      await db.destroy();
    },
  };
}

describe('SQLite group commit', () => {
  test('concurrent writes share one commit; a write that throws is rolled back alone and its caller alone gets the error', async () => {
    const g = fresh();
    try {
      const writes = Array.from({ length: 20 }, (_, i) => {
        const v = `v${String(i).padStart(2, '0')}`;
        if (i % 5 === 1) return g.group.write(async (trx) => { await g.insert(v)(trx); throw new Error(`no ${v}`); });
        if (i % 5 === 3) return g.group.write(async (trx) => { await g.insert(`${v}-a`)(trx); return g.insert('v00')(trx); }); // primary key violation
        return g.group.write(g.insert(v));
      });
      const settled = await Promise.allSettled(writes);
      const expected: string[] = [];
      settled.forEach((s, i) => {
        const v = `v${String(i).padStart(2, '0')}`;
        if (i % 5 === 1) assert.deepEqual(s, { status: 'rejected', reason: new Error(`no ${v}`) });
        else if (i % 5 === 3) assert.equal(s.status === 'rejected' && (s.reason as { code?: string }).code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
        else {
          assert.deepEqual(s, { status: 'fulfilled', value: v });
          expected.push(v);
        }
      });
      assert.deepEqual(g.committed(), expected);
      assert.deepEqual(g.group.stats, { batches: 1, writes: 20 });
    } finally {
      await g.close();
    }
  });

  test('a lone write runs at once in a batch of its own', async () => {
    const g = fresh();
    try {
      const started = performance.now();
      assert.equal(await g.group.write(g.insert('alone')), 'alone');
      assert.ok(performance.now() - started < 2000);
      assert.deepEqual(g.group.stats, { batches: 1, writes: 1 });
      assert.deepEqual(g.committed(), ['alone']);
    } finally {
      await g.close();
    }
  });

  test('a write settles only after the commit: until then no other connection sees it, and no caller has its answer', async () => {
    const g = fresh();
    try {
      let firstSettled = false;
      const seenWhenSettled: string[][] = [];
      const first = g.group.write(g.insert('a')).then(() => {
        firstSettled = true;
        seenWhenSettled.push(g.committed());
      });
      // The same batch, after the first write ran: it is written, but neither committed nor answered.
      const second = g.group.write(async (trx) => {
        assert.deepEqual(await trx.selectFrom('t').select('v').execute(), [{ v: 'a' }]);
        assert.deepEqual(g.committed(), []);
        assert.equal(firstSettled, false);
        return g.insert('b')(trx);
      });
      await Promise.all([first, second]);
      assert.deepEqual(seenWhenSettled, [['a', 'b']]);
    } finally {
      await g.close();
    }
  });

  test('a read outside the writes waits for the commit of an open batch', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-gc-'));
    dirs.push(dir);
    const store = await openStore(`sqlite:${path.join(dir, 'oem.sqlite')}`);
    try {
      await store.write((trx) => sql`create table t (v text primary key)`.execute(trx));
      let read: Promise<unknown> | undefined;
      const write = store.write(async (trx) => {
        read = sql`select v from t`.execute(store.db).then((r) => r.rows); // not awaited: it would wait for this very batch
        await sql`insert into t (v) values ('x')`.execute(trx);
      });
      await write;
      assert.deepEqual(await read, [{ v: 'x' }]);
    } finally {
      await store.close();
    }
  });

  test('a failed COMMIT rejects every write of the batch, and nothing of it is stored', async () => {
    const g = fresh();
    try {
      // A deferred foreign key is checked at COMMIT only: this write passes its savepoint, then sinks the batch.
      const orphan = g.group.write((trx) => trx.insertInto('child').values({ parent: 'none' }).execute());
      const others = [g.group.write(g.insert('p')), g.group.write(g.insert('q'))];
      const settled = await Promise.allSettled([orphan, ...others]);
      for (const s of settled) assert.equal(s.status === 'rejected' && (s.reason as { code?: string }).code, 'SQLITE_CONSTRAINT_FOREIGNKEY');
      assert.deepEqual(g.committed(), []);
      assert.equal(await g.group.write(g.insert('after')), 'after'); // the next batch is fine
      assert.deepEqual(g.committed(), ['after']);
    } finally {
      await g.close();
    }
  });

  test('an error that ends the whole transaction fails the writes that ran; those not run yet commit in the next batch', async () => {
    const g = fresh();
    try {
      await g.group.write((trx) => sql`insert into once (v) values ('taken')`.execute(trx));
      const before = g.group.write(g.insert('before'));
      // "on conflict rollback": SQLite rolls the whole transaction back, not just the statement.
      const breaker = g.group.write((trx) => sql`insert into once (v) values ('taken')`.execute(trx));
      const later = g.group.write(g.insert('later'));
      const [b, x, l] = await Promise.allSettled([before, breaker, later]);
      assert.equal(x.status === 'rejected' && (x.reason as { code?: string }).code, 'SQLITE_CONSTRAINT_UNIQUE');
      assert.equal(b.status === 'rejected' && b.reason, x.status === 'rejected' && x.reason);
      assert.deepEqual(l, { status: 'fulfilled', value: 'later' });
      assert.deepEqual(g.committed(), ['later']);

      // A write that ends the transaction without throwing still fails the batch, its own caller included.
      const quiet = g.group.write(async (trx) => {
        await g.insert('quiet')(trx);
        await sql`rollback`.execute(trx);
      });
      await assert.rejects(quiet, TransactionEndedError);
      assert.deepEqual(g.committed(), ['later']);
    } finally {
      await g.close();
    }
  });

  test('batches are capped; writes queued while a batch runs form the next one', async () => {
    const g = fresh(16);
    try {
      const values = Array.from({ length: 50 }, (_, i) => `w${String(i).padStart(2, '0')}`);
      assert.deepEqual(await Promise.all(values.map((v) => g.group.write(g.insert(v)))), values);
      assert.deepEqual(g.group.stats, { batches: 4, writes: 50 });
      assert.deepEqual(g.committed(), values);
    } finally {
      await g.close();
    }
  });

  test('closing the store lets the queued writes commit first', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-gc-'));
    dirs.push(dir);
    const url = `sqlite:${path.join(dir, 'oem.sqlite')}`;
    const store = await openStore(url);
    await store.write((trx) => sql`create table t (v text primary key)`.execute(trx));
    const writes = ['a', 'b', 'c'].map((v) => store.write((trx) => sql`insert into t (v) values (${v})`.execute(trx)));
    await store.close();
    await Promise.all(writes);
    const reopened = await openStore(url);
    try {
      assert.deepEqual((await sql<{ v: string }>`select v from t order by v`.execute(reopened.db)).rows, [{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
    } finally {
      await reopened.close();
    }
  });
});
