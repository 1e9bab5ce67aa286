import type { Kysely, Selectable } from 'kysely';
import type { DB, SessionsTable, UsersTable } from '../db/schema.js';

export type UserRow = Selectable<UsersTable>;

/** Unique index on email: one user per address across the store. */
export const EMAIL_UNIQUE = { sqlite: 'users.email', postgres: 'users_email' };

export function insertUser(db: Kysely<DB>, row: Omit<UserRow, 'id'>): Promise<UserRow> {
  return db.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow();
}

export function findUserByEmail(db: Kysely<DB>, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function setPasswordHash(db: Kysely<DB>, id: number, hash: string, at: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, password_changed_at: at }).where('id', '=', id).execute();
}

export async function insertSession(db: Kysely<DB>, row: Selectable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/** Ends every session of the user (a password change does this). */
export async function deleteSessionsOf(db: Kysely<DB>, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/** The session with its user's account, for authentication on every legacy request. */
export function findSession(db: Kysely<DB>, tokenHash: string) {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .select(['s.user_id as userId', 's.password_version as passwordVersion', 's.expires_at as expiresAt', 'u.account_id as accountId',
      'u.password_hash as passwordHash', 'a.oem_enabled as oemEnabled'])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
}
