import type { Kysely, Selectable } from 'kysely';
import type { CustomersTable, DB } from '../db/schema.js';

export type CustomerRow = Selectable<CustomersTable>;
export interface AssignmentRow {
  keyset_id: number;
  assigned_at: string;
}

/** Unique index on (account_id, external_id): the store refuses a second live customer with one id. */
export const EXTERNAL_ID_UNIQUE = { sqlite: 'customers.account_id, customers.external_id', postgres: 'customers_external_id' };
/** Primary key on customer_keysets.keyset_id: the store refuses a second holder of one keyset. */
export const KEYSET_HOLDER_UNIQUE = { sqlite: 'customer_keysets.keyset_id', postgres: 'customer_keysets_pkey' };

export async function externalIdTaken(db: Kysely<DB>, accountId: number, externalId: string): Promise<boolean> {
  const row = await db.selectFrom('customers').select('id').where('account_id', '=', accountId).where('external_id', '=', externalId).executeTakeFirst();
  return row !== undefined;
}

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

export async function insertCustomer(db: Kysely<DB>, row: CustomerRow): Promise<void> {
  await db.insertInto('customers').values(row).execute();
}

export async function insertAssignments(db: Kysely<DB>, customerId: string, keysetIds: number[], at: string): Promise<void> {
  if (keysetIds.length === 0) return;
  await db
    .insertInto('customer_keysets')
    .values(keysetIds.map((id) => ({ keyset_id: id, customer_id: customerId, assigned_at: at })))
    .execute();
}

export function findCustomer(db: Kysely<DB>, accountId: number, id: string): Promise<CustomerRow | undefined> {
  return db.selectFrom('customers').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export function assignmentsOf(db: Kysely<DB>, customerId: string): Promise<AssignmentRow[]> {
  return db
    .selectFrom('customer_keysets')
    .select(['keyset_id', 'assigned_at'])
    .where('customer_id', '=', customerId)
    .orderBy('assigned_at')
    .orderBy('keyset_id')
    .execute();
}
