import type { Kysely, Selectable } from 'kysely';
import type { DB, KeysetsTable } from '../db/schema.js';

export type KeysetRow = Selectable<KeysetsTable>;

export function insertKeyset(db: Kysely<DB>, row: Omit<KeysetRow, 'id'>): Promise<KeysetRow> {
  return db.insertInto('keysets').values(row).returningAll().executeTakeFirstOrThrow();
}

export function findKeyset(db: Kysely<DB>, accountId: number, id: number): Promise<KeysetRow | undefined> {
  return db.selectFrom('keysets').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function listKeysets(db: Kysely<DB>, accountId: number, appId: number | undefined, offset: number, limit: number) {
  let base = db.selectFrom('keysets').where('account_id', '=', accountId);
  if (appId !== undefined) base = base.where('app_id', '=', appId);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('id').limit(limit).offset(offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

export function updateKeyset(
  db: Kysely<DB>,
  accountId: number,
  id: number,
  changes: Partial<Pick<KeysetRow, 'name' | 'type'>> & { updated_at: string },
): Promise<KeysetRow | undefined> {
  return db.updateTable('keysets').set(changes).where('account_id', '=', accountId).where('id', '=', id).returningAll().executeTakeFirst();
}

/** Removes the keyset; its customer assignment goes with it (ON DELETE CASCADE). */
export async function deleteKeyset(db: Kysely<DB>, accountId: number, id: number): Promise<boolean> {
  const r = await db.deleteFrom('keysets').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
