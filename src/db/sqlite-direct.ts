// Reads on the hot path without Kysely's connection machinery, on SQLite only.
//
// better-sqlite3 is synchronous, yet each Kysely query still goes through its connection mutex, a
// driver and several promise hops: about 5 µs a query, measured, against 1.4 µs for the prepared
// statement itself (a GET runs three such queries). A query compiled once (src/db/compiled.ts) is
// run straight on the connection instead, but only when nobody holds the connection: then it is
// exactly what Kysely would do (take the connection, run, give it back) with nothing in between.
// While the connection is held — a group commit from BEGIN to its fdatasync, a transaction, a
// streamed list being iterated — the query takes Kysely's path and waits its turn as before, so it
// never sees a batch before it is durable and never runs inside someone else's transaction.
import type SQLite from 'better-sqlite3';
import { SqliteDialect, type DatabaseConnection, type Driver, type Kysely } from 'kysely';

/** Runs a select on the connection now, or returns undefined when it must take Kysely's path. */
export type DirectReader = (sql: string, parameters: readonly unknown[]) => unknown[] | undefined;

const readers = new WeakMap<Kysely<any>, DirectReader>();

/** The direct reader of a store's own Kysely instance (never of a transaction: those take Kysely's path). */
export function directReaderOf(db: Kysely<any>): DirectReader | undefined {
  return readers.get(db);
}

/** A SqliteDialect whose driver counts who holds the connection, so a direct read knows when it may run. */
export class TrackedSqliteDialect extends SqliteDialect {
  private held = 0;

  constructor(private readonly database: SQLite.Database) {
    super({ database });
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const acquire = driver.acquireConnection.bind(driver);
    const release = driver.releaseConnection.bind(driver);
    driver.acquireConnection = async () => {
      const connection = await acquire();
      this.held++;
      return connection;
    };
    driver.releaseConnection = async (connection: DatabaseConnection) => {
      this.held--;
      await release(connection);
    };
    return driver;
  }

  /** Registers the direct reader of `db`, the Kysely instance built on this dialect. */
  enableDirectReads(db: Kysely<any>): void {
    readers.set(db, (sql, parameters) => {
      if (this.held > 0 || this.database.inTransaction) return undefined;
      const statement = this.database.prepare(sql);
      if (!statement.reader) return undefined;
      return statement.all(...parameters);
    });
  }
}
