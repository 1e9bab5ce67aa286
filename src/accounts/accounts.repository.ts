import type { Kysely, Selectable } from 'kysely';
import { compiledOnce } from '../db/compiled.js';
import type { AccountsTable, ApiKeysTable, DB } from '../db/schema.js';

export type AccountRow = Selectable<AccountsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;

export async function insertAccount(db: Kysely<DB>, row: { name: string; oemEnabled: boolean; createdAt: string }): Promise<AccountRow> {
  return db
    .insertInto('accounts')
    .values({ name: row.name, oem_enabled: row.oemEnabled ? 1 : 0, created_at: row.createdAt })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findAccount(db: Kysely<DB>, id: number): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertApiKey(
  db: Kysely<DB>,
  row: Omit<ApiKeyRow, 'id' | 'revoked_at'>,
): Promise<ApiKeyRow> {
  return db.insertInto('api_keys').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The key and its account in one query: authentication runs on every request (compiled once). */
const apiKeyByHash = compiledOnce((db: Kysely<DB>, keyHash: string) => db
  .selectFrom('api_keys')
  .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
  .select([
    'api_keys.id as keyId',
    'api_keys.account_id as accountId',
    'api_keys.permissions',
    'api_keys.expires_at as expiresAt',
    'api_keys.revoked_at as revokedAt',
    'accounts.oem_enabled as oemEnabled',
  ])
  .where('api_keys.key_hash', '=', keyHash));

export async function findApiKeyByHash(db: Kysely<DB>, keyHash: string) {
  return (await apiKeyByHash(db, keyHash))[0];
}

export function listApiKeys(db: Kysely<DB>, accountId: number): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
}

export function findApiKey(db: Kysely<DB>, id: number): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function revokeApiKey(db: Kysely<DB>, id: number, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Marks the store as bootstrapped; false when another process (or an earlier start) already did. */
export async function claimMeta(db: Kysely<DB>, key: string, value: string): Promise<boolean> {
  const result = await db.insertInto('oem_meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}
