// Group commit for the SQLite store. Every acknowledged COMMIT costs one fsync, and one
// fsync per request caps the whole server at the disk's fsync rate. Here the writes of concurrent
// requests share one transaction: BEGIN IMMEDIATE, each write in its own SAVEPOINT, one COMMIT.
//
// - A write's promise settles only after the COMMIT of its batch succeeded, so no caller answers
//   for a write that is not durable yet. If the COMMIT fails, every write of the batch rejects.
// - A write that throws is rolled back to its savepoint: nothing of it is written, its caller alone
//   gets its error, and the others of the batch commit. If an error ended the whole transaction
//   (SQLITE_FULL, SQLITE_IOERR, ... can; the connection is then out of the transaction), every
//   write that ran in the batch rejects with that error; those not run yet wait for the next batch.
// - A batch starts on the next turn of the event loop (setImmediate, no timer): better-sqlite3 is
//   synchronous, so a batch started at once would run and commit inside the first request's own
//   callback, before the loop even reads the other requests already waiting on their sockets.
//   setImmediate runs right after the loop's I/O phase, with every write those requests queued.
//   A lone write waits only for the rest of the current turn. Writes arriving while a batch runs
//   form the next one; a batch takes at most `maxBatch` writes so latency stays bounded.
// - Reads outside a write (store.db) never see a batch's uncommitted rows: SQLite has a single
//   connection here, behind Kysely's connection mutex, and the batch holds that mutex from BEGIN
//   to COMMIT (db.connection().execute), so a read issued meanwhile runs after the COMMIT. Inside a
//   batch a write does see the rows of the writes before it, as if they had committed first; if
//   the batch then fails, every write in it fails too, so nothing derived from them is answered.
import { sql, type Kysely } from 'kysely';

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Job<DB> {
  fn: (trx: Kysely<DB>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  outcome?: Outcome;
}

export interface GroupCommitStats {
  batches: number;
  writes: number;
}

export class TransactionEndedError extends Error {
  constructor() {
    super('the SQLite transaction ended before its writes could commit; nothing of this write was stored');
  }
}

export class GroupCommit<DB> {
  private readonly queue: Job<DB>[] = [];
  private scheduled = false;
  private running: Promise<void> | undefined;
  readonly stats: GroupCommitStats = { batches: 0, writes: 0 };

  /** `inTransaction` tells whether the connection is inside a transaction (better-sqlite3's database.inTransaction). */
  /**
   * `inTransaction` tells whether the connection is inside a transaction (better-sqlite3's
   * database.inTransaction). `commit` runs the COMMIT and makes it durable; it runs with the
   * connection still held, so no read of this process sees the batch before it is durable.
   */
  constructor(
    private readonly db: Kysely<DB>,
    private readonly inTransaction: () => boolean,
    private readonly commit: (conn: Kysely<DB>) => Promise<void> = async (conn) => void (await sql`commit`.execute(conn)),
    private readonly maxBatch = 128,
  ) {}

  write<T>(fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Resolves once every write queued so far has settled. */
  async idle(): Promise<void> {
    while (this.running || this.scheduled || this.queue.length > 0) {
      await (this.running ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.running = this.runBatch().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    });
  }

  private async runBatch(): Promise<void> {
    const ran: Job<DB>[] = [];
    let failure: { error: unknown } | undefined;
    try {
      await this.db.connection().execute(async (conn) => {
        try {
          await sql`begin immediate`.execute(conn);
          // Writes queued while earlier ones of this batch run join it (up to maxBatch).
          while (ran.length < this.maxBatch && this.queue.length > 0) {
            const job = this.queue.shift()!;
            ran.push(job);
            job.outcome = await this.runOne(conn, job);
            if (!this.inTransaction()) {
              failure = { error: job.outcome.ok ? new TransactionEndedError() : job.outcome.error };
              return;
            }
          }
          await this.commit(conn);
        } catch (error) {
          // BEGIN, a savepoint statement or COMMIT failed: nothing of the batch is kept.
          failure ??= { error };
          if (this.inTransaction()) await sql`rollback`.execute(conn).catch(() => undefined);
        }
      });
    } catch (error) {
      failure ??= { error }; // the connection could not be had (the store is closed)
    }
    this.stats.batches++;
    this.stats.writes += ran.length;
    // BEGIN (or the connection) failed before any write ran: fail the writes that would have run,
    // so a store that cannot start transactions answers every write with that error, not a hang.
    if (failure && ran.length === 0) ran.push(...this.queue.splice(0, this.maxBatch));
    for (const job of ran) {
      if (failure) job.reject(failure.error);
      else if (job.outcome!.ok) job.resolve(job.outcome!.value);
      else job.reject(job.outcome!.error);
    }
  }

  /** Runs one write in a savepoint; a throw rolls back to it. Savepoint statements that fail throw. */
  private async runOne(conn: Kysely<DB>, job: Job<DB>): Promise<Outcome> {
    await sql`savepoint oem_write`.execute(conn);
    let outcome: Outcome;
    try {
      outcome = { ok: true, value: await job.fn(conn) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (!this.inTransaction()) return outcome; // the caller sees that the batch is lost
    if (!outcome.ok) await sql`rollback to oem_write`.execute(conn);
    await sql`release oem_write`.execute(conn);
    return outcome;
  }
}
