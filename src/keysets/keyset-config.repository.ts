// A keyset's configuration: one JSON text row per keyset in keyset_configs (deleted with the keyset).
import type { Kysely, Selectable } from 'kysely';
import type { DB, KeysetConfigsTable } from '../db/schema.js';
import type { KeysetConfig } from './keyset-config.schemas.js';

/** The stored form of a keyset's config (the seed builds its rows with this too). */
export function keysetConfigRow(keysetId: number, config: KeysetConfig): Selectable<KeysetConfigsTable> {
  return { keyset_id: keysetId, config: JSON.stringify(config) };
}

export async function insertKeysetConfig(db: Kysely<DB>, keysetId: number, config: KeysetConfig): Promise<void> {
  await db.insertInto('keyset_configs').values(keysetConfigRow(keysetId, config)).execute();
}

/** The keyset's stored config; undefined when the account has no such keyset (null: a keyset without a row). */
export async function findKeysetConfig(db: Kysely<DB>, accountId: number, keysetId: number): Promise<KeysetConfig | null | undefined> {
  const row = await db.selectFrom('keysets')
    .leftJoin('keyset_configs', 'keyset_configs.keyset_id', 'keysets.id')
    .select('keyset_configs.config')
    .where('keysets.account_id', '=', accountId).where('keysets.id', '=', keysetId)
    .executeTakeFirst();
  return row === undefined ? undefined : row.config === null ? null : JSON.parse(row.config) as KeysetConfig;
}

/**
 * Locks the keyset row for the rest of the transaction (a no-op update takes PostgreSQL's row lock;
 * SQLite's BEGIN IMMEDIATE already serialises writers); false when the account has no such keyset.
 */
export async function lockKeyset(db: Kysely<DB>, accountId: number, keysetId: number): Promise<boolean> {
  const row = await db.updateTable('keysets').set((eb) => ({ account_id: eb.ref('account_id') }))
    .where('account_id', '=', accountId).where('id', '=', keysetId).returning('id').executeTakeFirst();
  return row !== undefined;
}

/** Writes the whole config of a keyset (insert or replace). */
export async function saveKeysetConfig(db: Kysely<DB>, keysetId: number, config: KeysetConfig): Promise<void> {
  await db.insertInto('keyset_configs').values({ keyset_id: keysetId, config: JSON.stringify(config) })
    .onConflict((oc) => oc.column('keyset_id').doUpdateSet({ config: JSON.stringify(config) }))
    .execute();
}
