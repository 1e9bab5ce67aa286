// Rules shared by the customer and assignment services: the detail shape and its version (ETag),
// why keysets cannot be claimed, and store constraint violations turned into the same 400s.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors.js';
import type { DB } from '../db/schema.js';
import { AppError, badRequest } from '../errors.js';
import { assignmentsOf, KEYSET_HOLDER_UNIQUE, keysetsWithHolders, type AssignmentRow } from './assignments.repository.js';
import { EXTERNAL_ID_UNIQUE, type CustomerRow } from './customers.repository.js';

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

/** '*' matches any existing customer; otherwise the list of versions the client will accept. */
export type Precondition = '*' | string[];

export const externalIdInUse = (externalId: string) => `externalId ${externalId} is already used by another customer`;
const keysetHeld = (id: number | string) => `keysetIds: keyset ${id} is already assigned to another customer`;

export function customerHeader(row: CustomerRow) {
  return { id: row.id, externalId: row.external_id, name: row.name, created: row.created_at, updated: row.updated_at };
}

/** The detail of a customer from its row and its assignments, already in detail order (assignedAt, then keyset id). */
export function detailFrom(row: CustomerRow, assignments: readonly AssignmentRow[]): CustomerDetail {
  return { ...customerHeader(row), keysets: assignments.map((a) => ({ id: a.keyset_id, assignedAt: a.assigned_at })) };
}

export async function detailOf(db: Kysely<DB>, row: CustomerRow): Promise<CustomerDetail> {
  return detailFrom(row, await assignmentsOf(db, row.id));
}

/** A digest of everything the detail shows: it changes whenever the customer or its keysets do. */
export function versionOf(detail: CustomerDetail): string {
  return createHash('sha256').update(JSON.stringify(detail)).digest('base64url').slice(0, 27);
}

export function checkPrecondition(detail: CustomerDetail, precondition: Precondition | undefined): void {
  if (precondition === undefined || precondition === '*') return;
  if (!precondition.includes(versionOf(detail))) {
    throw new AppError('PreconditionFailed', `If-Match does not match the current ETag of customer ${detail.id}`);
  }
}

/** Why each keyset cannot be claimed: unknown (or another account's), or held by a customer other than `holder`. */
export async function claimProblems(db: Kysely<DB>, accountId: number, keysetIds: number[], holder?: string): Promise<string[]> {
  const found = new Map((await keysetsWithHolders(db, accountId, keysetIds)).map((k) => [k.id, k.customerId]));
  const problems: string[] = [];
  for (const id of keysetIds) {
    if (!found.has(id)) problems.push(`keysetIds: keyset ${id} not found`);
    else if (found.get(id) !== null && found.get(id) !== holder) problems.push(keysetHeld(id));
  }
  return problems;
}

/** A race the checks could not see, caught by the store's constraints: the same 400 as the check. */
export function constraintAsBadRequest(error: unknown, externalId?: string): unknown {
  if (externalId !== undefined && isUniqueViolation(error, EXTERNAL_ID_UNIQUE)) return badRequest(externalIdInUse(externalId));
  if (isUniqueViolation(error, KEYSET_HOLDER_UNIQUE)) {
    const id = /\(keyset_id\)=\((\d+)\)/.exec(String((error as { detail?: string }).detail))?.[1];
    return badRequest(keysetHeld(id ?? 'in keysetIds'));
  }
  // A keyset deleted between the check and the insert.
  if (isForeignKeyViolation(error)) return badRequest('keysetIds: a keyset was deleted while being assigned');
  return error;
}
