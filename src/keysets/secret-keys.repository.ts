import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB, SecretKeysTable } from '../db/schema.js';

export type SecretKeyRow = Selectable<SecretKeysTable>;

/**
 * Takes the keyset's row lock for the rest of the transaction (PostgreSQL: `update … set id = id`
 * blocks a second writer until the first commits; SQLite's BEGIN IMMEDIATE serialises already).
 * False when the account has no such keyset.
 */
export async function lockKeyset(db: Kysely<DB>, accountId: number, keysetId: number): Promise<boolean> {
  const row = await db.updateTable('keysets').set((eb) => ({ id: eb.ref('id') }))
    .where('account_id', '=', accountId).where('id', '=', keysetId).returning('id').executeTakeFirst();
  return row !== undefined;
}

/** The permanent key first, then by expiry (soonest first). */
export function listSecretKeys(db: Kysely<DB>, keysetId: number): Promise<SecretKeyRow[]> {
  return db.selectFrom('secret_keys').selectAll().where('keyset_id', '=', keysetId)
    .orderBy(sql`expires_at is null`, 'desc').orderBy('expires_at').orderBy('id').execute();
}

export async function insertSecretKey(db: Kysely<DB>, row: Omit<SecretKeyRow, 'id'>): Promise<void> {
  await db.insertInto('secret_keys').values(row).execute();
}

export function findSecretKey(db: Kysely<DB>, keysetId: number, prefix: string): Promise<SecretKeyRow | undefined> {
  return db.selectFrom('secret_keys').selectAll().where('keyset_id', '=', keysetId).where('prefix', '=', prefix).executeTakeFirst();
}

export async function setSecretKeyExpiry(db: Kysely<DB>, id: number, expiresAt: string): Promise<void> {
  await db.updateTable('secret_keys').set({ expires_at: expiresAt }).where('id', '=', id).execute();
}

export async function deleteSecretKey(db: Kysely<DB>, id: number): Promise<void> {
  await db.deleteFrom('secret_keys').where('id', '=', id).execute();
}
