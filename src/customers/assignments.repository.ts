import type { Insertable, Kysely } from 'kysely';
import { compiledOnce } from '../db/compiled.js';
import type { CustomerKeysetsTable, DB } from '../db/schema.js';

export interface AssignmentRow {
  keyset_id: number;
  assigned_at: string;
}

/** Primary key on customer_keysets.keyset_id: the store refuses a second holder of one keyset. */
export const KEYSET_HOLDER_UNIQUE = { sqlite: 'customer_keysets.keyset_id', postgres: 'customer_keysets_pkey' };

/** The caller's keysets among `ids`, each with the customer holding it (null when free). */
export function keysetsWithHolders(db: Kysely<DB>, accountId: number, ids: number[]) {
  return db
    .selectFrom('keysets')
    .leftJoin('customer_keysets', 'customer_keysets.keyset_id', 'keysets.id')
    .select(['keysets.id as id', 'customer_keysets.customer_id as customerId'])
    .where('keysets.account_id', '=', accountId)
    .where('keysets.id', 'in', ids)
    .execute();
}

/** The rows that assign keysets to a customer at one time (the seed builds its rows with this too). */
export function assignmentRows(customerId: string, keysetIds: number[], at: string): Insertable<CustomerKeysetsTable>[] {
  return keysetIds.map((id) => ({ keyset_id: id, customer_id: customerId, assigned_at: at }));
}

export async function insertAssignments(db: Kysely<DB>, rows: Insertable<CustomerKeysetsTable>[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto('customer_keysets').values(rows).execute();
}

export async function deleteAssignment(db: Kysely<DB>, customerId: string, keysetId: number): Promise<boolean> {
  const r = await db.deleteFrom('customer_keysets').where('customer_id', '=', customerId).where('keyset_id', '=', keysetId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

const allAssignmentsOf = compiledOnce((db: Kysely<DB>, customerId: string) => db.selectFrom('customer_keysets as ck')
  .select(['ck.keyset_id', 'ck.assigned_at']).where('ck.customer_id', '=', customerId).orderBy('ck.assigned_at').orderBy('ck.keyset_id'));

/** The customer's assignments ordered by assignedAt, then keyset id; optionally only one app's. */
export function assignmentsOf(db: Kysely<DB>, customerId: string, appId?: number): Promise<AssignmentRow[]> {
  // Every customer detail reads this without appId: that form is compiled once.
  if (appId === undefined) return allAssignmentsOf(db, customerId);
  return db.selectFrom('customer_keysets as ck').select(['ck.keyset_id', 'ck.assigned_at']).where('ck.customer_id', '=', customerId)
    .innerJoin('keysets as k', 'k.id', 'ck.keyset_id').where('k.app_id', '=', appId)
    .orderBy('ck.assigned_at').orderBy('ck.keyset_id').execute();
}

/** The customer holding a keyset of the account, if any. */
export function holderOf(db: Kysely<DB>, accountId: number, keysetId: number) {
  return db
    .selectFrom('customer_keysets as ck')
    .innerJoin('customers as c', 'c.id', 'ck.customer_id')
    .selectAll('c')
    .where('ck.keyset_id', '=', keysetId)
    .where('c.account_id', '=', accountId)
    .executeTakeFirst();
}

/** Apps (id, account) that contain a keyset the customer holds, ordered by id. */
export function appsOf(db: Kysely<DB>, customerId: string, offset: number, limit: number) {
  return db
    .selectFrom('customer_keysets as ck')
    .innerJoin('keysets as k', 'k.id', 'ck.keyset_id')
    .innerJoin('apps as a', 'a.id', 'k.app_id')
    .select(['a.id as id', 'a.account_id as accountId'])
    .distinct()
    .where('ck.customer_id', '=', customerId)
    .orderBy('a.id')
    .limit(limit)
    .offset(offset)
    .execute();
}
