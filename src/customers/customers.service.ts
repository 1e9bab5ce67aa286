// OEM customers of a partner account and the keysets they hold (CONTRACT §3–4).
// Invariants are the store's: a unique index on (account, externalId) and a primary key on the
// assigned keyset. The checks here only turn the common cases into precise messages; a race that
// slips past them still ends in the same 400, raised by the constraint.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors.js';
import type { Store } from '../db/store.js';
import { badRequest, notFound } from '../errors.js';
import * as repo from './customers.repository.js';

export const MAX_KEYSETS_PER_CUSTOMER = 5;

export interface Assignment {
  id: number;
  assignedAt: string;
}

export interface CustomerDetail {
  id: string;
  externalId: string;
  name: string;
  created: string;
  updated: string;
  keysets: Assignment[];
}

export interface CreateCustomerInput {
  externalId: string;
  name: string;
  keysetIds?: number[];
}

const externalIdInUse = (externalId: string) => `externalId ${externalId} is already used by another customer`;
const keysetHeld = (id: number | string) => `keysetIds: keyset ${id} is already assigned to another customer`;

function toDetail(row: repo.CustomerRow, assignments: repo.AssignmentRow[]): CustomerDetail {
  return {
    id: row.id,
    externalId: row.external_id,
    name: row.name,
    created: row.created_at,
    updated: row.updated_at,
    keysets: assignments.map((a) => ({ id: a.keyset_id, assignedAt: a.assigned_at })),
  };
}

export class CustomersService {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async create(accountId: number, input: CreateCustomerInput): Promise<CustomerDetail> {
    const keysetIds = [...new Set(input.keysetIds ?? [])];
    try {
      return await this.store.write(async (trx) => {
        const problems: string[] = [];
        if (await repo.externalIdTaken(trx, accountId, input.externalId)) problems.push(externalIdInUse(input.externalId));
        if (keysetIds.length > MAX_KEYSETS_PER_CUSTOMER) {
          problems.push(`keysetIds must name at most ${MAX_KEYSETS_PER_CUSTOMER} distinct keysets (got ${keysetIds.length})`);
        } else if (keysetIds.length > 0) {
          problems.push(...(await this.claimProblems(trx, accountId, keysetIds)));
        }
        if (problems.length > 0) throw badRequest(problems);

        const now = this.clock.now().toISOString();
        const row: repo.CustomerRow = {
          id: randomUUID(), account_id: accountId, external_id: input.externalId, name: input.name, created_at: now, updated_at: now,
        };
        await repo.insertCustomer(trx, row);
        await repo.insertAssignments(trx, row.id, keysetIds, now);
        return toDetail(row, await repo.assignmentsOf(trx, row.id));
      });
    } catch (error) {
      throw this.constraintAsBadRequest(error, input.externalId);
    }
  }

  async get(accountId: number, id: string): Promise<CustomerDetail> {
    const row = await repo.findCustomer(this.store.db, accountId, id);
    if (!row) throw notFound(`customer ${id} not found`);
    return toDetail(row, await repo.assignmentsOf(this.store.db, id));
  }

  /** Why each requested keyset cannot be claimed: unknown (or another account's) or already held. */
  private async claimProblems(trx: Store['db'], accountId: number, keysetIds: number[], holder?: string): Promise<string[]> {
    const found = new Map((await repo.keysetsWithHolders(trx, accountId, keysetIds)).map((k) => [k.id, k.customerId]));
    const problems: string[] = [];
    for (const id of keysetIds) {
      if (!found.has(id)) problems.push(`keysetIds: keyset ${id} not found`);
      else if (found.get(id) !== null && found.get(id) !== holder) problems.push(keysetHeld(id));
    }
    return problems;
  }

  private constraintAsBadRequest(error: unknown, externalId: string): unknown {
    if (isUniqueViolation(error, repo.EXTERNAL_ID_UNIQUE)) return badRequest(externalIdInUse(externalId));
    if (isUniqueViolation(error, repo.KEYSET_HOLDER_UNIQUE)) {
      const id = /\(keyset_id\)=\((\d+)\)/.exec(String((error as { detail?: string }).detail))?.[1];
      return badRequest(keysetHeld(id ?? 'in keysetIds'));
    }
    // A keyset deleted between the check and the insert.
    if (isForeignKeyViolation(error)) return badRequest('keysetIds: a keyset was deleted while being assigned');
    return error;
  }
}
