// The signing_keys table (migration 0002). Rows hold the private key: they never leave signing-keys.ts.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB, SigningKeysTable } from '../db/schema.js';

export type SigningKeyRow = Selectable<SigningKeysTable>;

/** The oem_meta row whose lock serialises every change of the signing keys, across processes. */
const LOCK_KEY = 'signing_keys_changed_at';

/**
 * Writes (or overwrites) the lock row inside the caller's write transaction. On PostgreSQL the
 * upsert holds the row lock until commit, so a concurrent ensure/rotate waits here and, under READ
 * COMMITTED, its next statement sees what this one committed. SQLite is serialised by BEGIN IMMEDIATE.
 */
export async function lockSigningKeys(db: Kysely<DB>, at: string): Promise<void> {
  await db
    .insertInto('oem_meta')
    .values({ key: LOCK_KEY, value: at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: at }))
    .execute();
}

/** The key that signs new tokens: the one not retired (newest first, should there ever be two). */
export function currentKey(db: Kysely<DB>): Promise<SigningKeyRow | undefined> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where('retire_after', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('kid', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Public halves of the current key and of every rotated-out key whose retirement is still ahead. */
export function servablePublicKeys(db: Kysely<DB>, now: string) {
  return db
    .selectFrom('signing_keys')
    .select(['kid', 'public_jwk', 'retire_after'])
    .where((eb) => eb.or([eb('retire_after', 'is', null), eb('retire_after', '>', now)]))
    // The current key first (true/1 sorts after false/0 on both stores), then the latest retired.
    .orderBy(sql`retire_after is null`, 'desc')
    .orderBy('retire_after', 'desc')
    .orderBy('kid')
    .execute();
}

export async function insertKey(db: Kysely<DB>, row: SigningKeyRow): Promise<void> {
  await db.insertInto('signing_keys').values(row).execute();
}

export async function retireKey(db: Kysely<DB>, kid: string, retireAfter: string): Promise<void> {
  await db.updateTable('signing_keys').set({ retire_after: retireAfter }).where('kid', '=', kid).execute();
}
