import type { Kysely, Selectable } from 'kysely';
import type { AppsTable, DB } from '../db/schema.js';

export type AppRow = Selectable<AppsTable>;

export function insertApp(db: Kysely<DB>, row: Omit<AppRow, 'id'>): Promise<AppRow> {
  return db.insertInto('apps').values(row).returningAll().executeTakeFirstOrThrow();
}

export function findApp(db: Kysely<DB>, accountId: number, id: number): Promise<AppRow | undefined> {
  return db.selectFrom('apps').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function listApps(db: Kysely<DB>, accountId: number, offset: number, limit: number) {
  const [rows, count] = await Promise.all([
    db.selectFrom('apps').selectAll().where('account_id', '=', accountId).orderBy('id').limit(limit).offset(offset).execute(),
    db.selectFrom('apps').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

export function renameApp(db: Kysely<DB>, accountId: number, id: number, name: string, at: string): Promise<AppRow | undefined> {
  return db.updateTable('apps').set({ name, updated_at: at }).where('account_id', '=', accountId).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function countKeysetsOfApp(db: Kysely<DB>, appId: number): Promise<number> {
  const r = await db.selectFrom('keysets').select((eb) => eb.fn.countAll<number>().as('n')).where('app_id', '=', appId).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function deleteApp(db: Kysely<DB>, accountId: number, id: number): Promise<boolean> {
  const r = await db.deleteFrom('apps').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
