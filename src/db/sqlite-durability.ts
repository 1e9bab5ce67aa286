// Power-loss durability for SQLite without blocking the event loop on every fsync.
//
// synchronous=FULL makes each COMMIT fsync the WAL inside better-sqlite3's synchronous call, so
// the whole process stands still for every fsync (profiled: about a third of the main thread's
// time under a create load). Instead the store runs synchronous=NORMAL — the COMMIT writes the
// WAL frames but does not sync them — and this module syncs the WAL file itself before anyone
// is answered:
// - a group commit's COMMIT (src/db/group-commit.ts) is followed by fdatasync of the WAL on
//   libuv's thread pool, with the connection still held: the event loop goes on reading requests
//   (which form the next batch), and no read of this process sees the batch before it is on disk;
// - any other statement that changes the store outside a transaction (a single-statement write
//   in autocommit) is followed by a synchronous fdatasync, exactly what FULL would do.
// With NORMAL, SQLite still syncs the WAL before each checkpoint and the database after it, so
// checkpoints stay safe. The net promise is FULL's: a write is acknowledged only once its WAL
// frames are on disk. One difference remains for several processes on one file: another process
// may read a commit during the few milliseconds before its fdatasync completes.
import fs from 'node:fs';
import type SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';

export class SqliteDurability {
  private fd: number | undefined;
  /** Set while the group commit's own COMMIT runs: it is synced asynchronously afterwards. */
  private committingBatch = false;

  constructor(private readonly database: SQLite.Database, private readonly walPath: string | undefined) {}

  /** The group commit's COMMIT: commit, then fdatasync the WAL off the event loop. */
  async commit<DB>(conn: Kysely<DB>): Promise<void> {
    this.committingBatch = true;
    try {
      await sql`commit`.execute(conn);
    } finally {
      this.committingBatch = false;
    }
    const fd = this.walFd();
    if (fd !== undefined) await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
  }

  /**
   * Wraps a statement so that a change it completes outside the group commit — an autocommit write,
   * or the COMMIT of a transaction opened elsewhere (COMMIT counts as read-only to SQLite) — is
   * synced before it returns.
   */
  guard(statement: SQLite.Statement): SQLite.Statement {
    const writes = !statement.readonly;
    for (const method of ['run', 'all', 'get'] as const) {
      const original = (statement[method] as (...args: unknown[]) => unknown).bind(statement);
      (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        const wasInTransaction = this.database.inTransaction;
        const result = original(...args);
        if (!this.committingBatch && !this.database.inTransaction && (writes || wasInTransaction)) this.syncNow();
        return result;
      };
    }
    return statement;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private syncNow(): void {
    const fd = this.walFd();
    if (fd !== undefined) fs.fdatasyncSync(fd);
  }

  /** The WAL file stays while this connection is open (SQLite removes it only at the last close). */
  private walFd(): number | undefined {
    if (this.fd === undefined && this.walPath && fs.existsSync(this.walPath)) this.fd = fs.openSync(this.walPath, 'r');
    return this.fd;
  }
}
