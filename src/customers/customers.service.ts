// OEM customers of a partner account (CONTRACT §3–4). Invariants are the store's: a unique index on
// (account, externalId) and a primary key on the assigned keyset. The checks here only turn the
// common cases into precise messages; a race that slips past them ends in the same 400.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { badRequest, notFound } from '../errors.js';
import { assignmentRows, insertAssignments } from './assignments.repository.js';
import {
  checkPrecondition, claimProblems, constraintAsBadRequest, detailFrom, detailOf, externalIdInUse, MAX_KEYSETS_PER_CUSTOMER,
  type CustomerDetail, type Precondition,
} from './customer-rules.js';
import * as repo from './customers.repository.js';

export interface CreateCustomerInput {
  externalId: string;
  name: string;
  keysetIds?: number[];
}

export interface CustomerSummary {
  id: string;
  externalId: string;
  name: string;
  created: string;
  updated: string;
  appCount: number;
  keysetCount: number;
}

export interface ListQuery {
  externalId?: string;
  appId?: number;
}

/** Rows fetched per query while streaming a whole list: memory stays flat whatever the list's size. */
const STREAM_CHUNK = 500;

const toSummary = (r: repo.SummaryRow): CustomerSummary => ({
  id: r.id, externalId: r.external_id, name: r.name, created: r.created_at, updated: r.updated_at,
  appCount: Number(r.app_count), keysetCount: Number(r.keyset_count),
});

function encodeCursor(s: CustomerSummary): string {
  return Buffer.from(JSON.stringify([s.created, s.id])).toString('base64url');
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function decodeCursor(cursor: string): { created: string; id: string } {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    position = undefined;
  }
  if (Array.isArray(position) && position.length === 2) {
    const [created, id] = position as unknown[];
    if (typeof created === 'string' && ISO_MS.test(created) && typeof id === 'string' && /^[A-Za-z0-9_-]{1,255}$/.test(id)) return { created, id };
  }
  throw badRequest('cursor is not a cursor this server issued');
}

/** A new customer's row, as create stores it (the seed builds its rows with this too). */
export function newCustomerRow(accountId: number, externalId: string, name: string, now: string): repo.CustomerRow {
  return { id: randomUUID(), account_id: accountId, external_id: externalId, name, created_at: now, updated_at: now };
}

export class CustomersService {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async create(accountId: number, input: CreateCustomerInput): Promise<CustomerDetail> {
    // Ascending, so concurrent requests take the keysets' row locks in one order and cannot deadlock.
    const keysetIds = [...new Set(input.keysetIds ?? [])].sort((a, b) => a - b);
    try {
      // Without keysets a create is one insert, and the store's unique index checks the externalId
      // as the row goes in (constraintAsBadRequest turns a clash into the same 400): one statement,
      // so on PostgreSQL one round trip instead of four.
      if (keysetIds.length === 0) return await this.store.writeSingle((db) => this.insert(db, accountId, input, keysetIds));
      return await this.store.write(async (trx) => {
        // With keysets everything is checked first, so that one answer names every problem.
        const problems: string[] = [];
        if (await repo.externalIdTaken(trx, accountId, input.externalId)) problems.push(externalIdInUse(input.externalId));
        if (keysetIds.length > MAX_KEYSETS_PER_CUSTOMER) {
          problems.push(`keysetIds must name at most ${MAX_KEYSETS_PER_CUSTOMER} distinct keysets (got ${keysetIds.length})`);
        } else {
          problems.push(...(await claimProblems(trx, accountId, keysetIds)));
        }
        if (problems.length > 0) throw badRequest(problems);
        return this.insert(trx, accountId, input, keysetIds);
      });
    } catch (error) {
      throw constraintAsBadRequest(error, input.externalId);
    }
  }

  private async insert(db: Kysely<DB>, accountId: number, input: CreateCustomerInput, keysetIds: number[]): Promise<CustomerDetail> {
    const now = this.clock.now().toISOString();
    const row = newCustomerRow(accountId, input.externalId, input.name, now);
    await repo.insertCustomer(db, row);
    const assignments = assignmentRows(row.id, keysetIds, now);
    await insertAssignments(db, assignments);
    // All assigned at one time and keysetIds ascending: already in detail order, no need to read them back.
    return detailFrom(row, assignments);
  }

  async get(accountId: number, id: string): Promise<CustomerDetail> {
    const rows = await repo.findCustomerWithKeysets(this.store.db, accountId, id);
    if (rows.length === 0) throw notFound(`customer ${id} not found`);
    return detailFrom(rows[0]!, rows.flatMap((r) => (r.keyset_id === null ? [] : [{ keyset_id: r.keyset_id, assigned_at: r.assigned_at! }])));
  }

  async rename(accountId: number, id: string, name: string, precondition?: Precondition): Promise<CustomerDetail> {
    return this.store.write(async (trx) => {
      const row = await repo.lockCustomer(trx, accountId, id);
      if (!row) throw notFound(`customer ${id} not found`);
      checkPrecondition(await detailOf(trx, row), precondition);
      const now = this.clock.now().toISOString();
      await repo.renameCustomer(trx, id, name, now);
      return detailOf(trx, { ...row, name, updated_at: now });
    });
  }

  async delete(accountId: number, id: string, precondition?: Precondition): Promise<void> {
    await this.store.write(async (trx) => {
      const row = await repo.lockCustomer(trx, accountId, id);
      if (!row) throw notFound(`customer ${id} not found`);
      checkPrecondition(await detailOf(trx, row), precondition);
      await repo.deleteCustomer(trx, id);
    });
  }

  /** One page after `cursor`; `next` is null on the last page. */
  async listPage(accountId: number, query: ListQuery, limit: number, cursor?: string) {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const rows = await repo.listSummaries(this.store.db, accountId, { ...query, after }, limit + 1);
    const items = rows.slice(0, limit).map(toSummary);
    return { items, next: rows.length > limit ? encodeCursor(items[items.length - 1]!) : null };
  }

  /** The whole list, fetched in short keyset-paginated queries so no query holds the store for long. */
  async *listAll(accountId: number, query: ListQuery): AsyncGenerator<CustomerSummary> {
    let after: { created: string; id: string } | undefined;
    for (;;) {
      const rows = await repo.listSummaries(this.store.db, accountId, { ...query, after }, STREAM_CHUNK);
      for (const row of rows) yield toSummary(row);
      if (rows.length < STREAM_CHUNK) return;
      const last = rows[rows.length - 1]!;
      after = { created: last.created_at, id: last.id };
    }
  }
}
