// One set of migrations for both stores. Kysely's Migrator takes a PostgreSQL advisory lock, so
// several processes starting at once apply each migration exactly once.
import { DEFAULT_MIGRATION_TABLE, Kysely, Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect, Store } from './store.js';

type Db = Kysely<any>;

/** An auto-generated integer primary key that is never reused after a delete. */
function idColumn(dialect: Dialect) {
  return dialect === 'sqlite'
    ? (db: Db, table: string) => db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : (db: Db, table: string) => db.schema.createTable(table).addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity());
}

/** The keyset config defaults as of migration 0004, frozen here (src/keysets/keyset-config.schemas.ts may move on). */
const KEYSET_CONFIG_DEFAULTS_0004 = {
  accessManager: { enabled: false, tokenRevoke: null },
  files: { enabled: true, retention: 7, region: 'us-east-1' },
  streamController: { enabled: true, wildcardSubscribe: true, channelGroupLimit: 100 },
  appContext: {
    enabled: true, region: 'aws-iad-1', userMetadataEvents: true, channelMetadataEvents: true, membershipEvents: true,
    disallowGetAllChannelMetadata: false, disallowGetAllUserMetadata: false, referentialIntegrity: false,
  },
  dataSync: { enabled: false, region: null },
  apns: { enabled: false, teamId: null, authKeyId: null, filename: null },
  fcm: { filename: null },
  messagePersistence: { enabled: true, retention: 7, includePresenceEvents: false, deleteFromHistory: false },
  presence: {
    enabled: true, announceMax: 20, interval: 10, deltas: false, generateLeaveOnDisconnect: false,
    streamFiltering: false, activeNoticeChannel: null, debounce: 2,
  },
};

function migrations(dialect: Dialect): Record<string, Migration> {
  const withId = idColumn(dialect);
  const bigint = dialect === 'sqlite' ? 'integer' : 'bigint';
  return {
    '0001_initial': {
      async up(db: Db) {
        await db.schema.createTable('oem_meta')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
        await withId(db, 'accounts')
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('oem_enabled', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await withId(db, 'api_keys')
          .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('key_prefix', 'text', (c) => c.notNull())
          .addColumn('permissions', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text')
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema.createIndex('api_keys_account').on('api_keys').columns(['account_id', 'id']).execute();
        await withId(db, 'apps')
          .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('apps_account').on('apps').columns(['account_id', 'id']).execute();
        await withId(db, 'keysets')
          .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          // No cascade: an app with keysets cannot be deleted (CONTRACT §5).
          .addColumn('app_id', bigint, (c) => c.notNull().references('apps.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('testing', 'production')`))
          .addColumn('publish_key', 'text', (c) => c.notNull().unique())
          .addColumn('subscribe_key', 'text', (c) => c.notNull().unique())
          .addColumn('secret_key_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('keysets_account').on('keysets').columns(['account_id', 'id']).execute();
        await db.schema.createIndex('keysets_app').on('keysets').columns(['app_id', 'id']).execute();
        await db.schema.createTable('customers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('external_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        // externalId is unique among an account's live customers; a delete removes the row and frees it.
        await db.schema.createIndex('customers_external_id').unique().on('customers').columns(['account_id', 'external_id']).execute();
        await db.schema.createIndex('customers_account_created').on('customers').columns(['account_id', 'created_at', 'id']).execute();
        await db.schema.createTable('customer_keysets')
          // Primary key on keyset_id: a keyset belongs to at most one customer, whatever the concurrency.
          .addColumn('keyset_id', bigint, (c) => c.primaryKey().references('keysets.id').onDelete('cascade'))
          .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
          .addColumn('assigned_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('customer_keysets_customer').on('customer_keysets').columns(['customer_id', 'assigned_at', 'keyset_id']).execute();
      },
    },
    // Keys that sign access tokens (src/tokens/signing-keys.ts). In the store, not on a node's disk,
    // so every process signs with the same key and tokens survive restarts. retire_after is null for
    // the current key; a rotated-out key stays in the JWKS until that time.
    '0002_signing_keys': {
      async up(db: Db) {
        await db.schema.createTable('signing_keys')
          .addColumn('kid', 'text', (c) => c.primaryKey())
          .addColumn('alg', 'text', (c) => c.notNull())
          .addColumn('private_jwk', 'text', (c) => c.notNull())
          .addColumn('public_jwk', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('retire_after', 'text')
          .execute();
      },
    },
    // Users of partner accounts and their session tokens: PubNub's older session API (CONTRACT §7).
    '0003_users_sessions': {
      async up(db: Db) {
        await withId(db, 'users')
          .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('password_changed_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('users_email').unique().on('users').column('email').execute();
        await db.schema.createTable('sessions')
          .addColumn('token_hash', 'text', (c) => c.primaryKey()) // SHA-256 of the token; the token is never stored
          .addColumn('user_id', bigint, (c) => c.notNull().references('users.id').onDelete('cascade'))
          // A digest of the password hash the login verified against: a session is valid only while
          // it is still the user's, so a login racing a password change cannot outlive it.
          .addColumn('password_version', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
      },
    },
    // Keyset configuration (KEYSETS-AND-APPS.md §2): the whole config as JSON text, one row per
    // keyset, gone with it. Keysets that exist already get the defaults of this release.
    '0004_keyset_configs': {
      async up(db: Db) {
        await db.schema.createTable('keyset_configs')
          .addColumn('keyset_id', bigint, (c) => c.primaryKey().references('keysets.id').onDelete('cascade'))
          .addColumn('config', 'text', (c) => c.notNull())
          .execute();
        await sql`insert into keyset_configs (keyset_id, config) select id, ${JSON.stringify(KEYSET_CONFIG_DEFAULTS_0004)} from keysets`.execute(db);
      },
    },
    // Secret keys (KEYSETS-AND-APPS.md §1.5): per keyset one permanent key (expires_at null) and
    // rotated keys with expiries, each as the SHA-256 of the whole key and its public prefix
    // (sec-c- and five alphanumerics). The keysets' existing keys move here with prefix null:
    // only their hashes were ever stored, so their prefixes are unknown (listed as sec-c-?????).
    '0005_secret_keys': {
      async up(db: Db) {
        await withId(db, 'secret_keys')
          .addColumn('keyset_id', bigint, (c) => c.notNull().references('keysets.id').onDelete('cascade'))
          .addColumn('prefix', 'text')
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('secret_keys_prefix', ['keyset_id', 'prefix'])
          .execute();
        // At most one permanent key per keyset, whatever the concurrency.
        await db.schema.createIndex('secret_keys_permanent').unique().on('secret_keys').column('keyset_id')
          .where(sql.ref('expires_at'), 'is', null).execute();
        await sql`insert into secret_keys (keyset_id, prefix, hash, expires_at, created_at)
          select id, null, secret_key_hash, null, created_at from keysets`.execute(db);
        await db.schema.alterTable('keysets').dropColumn('secret_key_hash').execute();
      },
    },
    // Idempotency keys (CONTRACT §6): one row per (account, SHA-256 of the Idempotency-Key). The
    // unique constraint arbitrates which request claims a key, across processes. status is null
    // while the first request is in flight; then the response, its body encrypted (src/http/idempotency.ts).
    '0006_idempotency_keys': {
      async up(db: Db) {
        await withId(db, 'idempotency_keys')
          .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('key_hash', 'text', (c) => c.notNull())
          .addColumn('fingerprint', 'text', (c) => c.notNull())
          .addColumn('status', 'integer')
          .addColumn('content_type', 'text')
          .addColumn('body', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('completed_at', 'text')
          .addUniqueConstraint('idempotency_keys_account_key', ['account_id', 'key_hash'])
          .execute();
        await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created_at').execute();
      },
    },
  };
}

export function migrationNames(dialect: Dialect): string[] {
  return Object.keys(migrations(dialect)).sort();
}

function migratorFor(store: Store, db: Kysely<any> = store.db, disableTransactions = false): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => migrations(store.dialect) };
  // Kysely looks for its own tables in every schema unless told which one: name ours.
  const schema = store.schema ? { migrationTableSchema: store.schema } : {};
  return new Migrator({ db, provider, disableTransactions, ...schema });
}

/** Applies every pending migration (or those up to and including `upTo`); returns the names applied by this call. */
export async function migrate(store: Store, upTo?: string): Promise<string[]> {
  const run = (m: Migrator) => (upTo === undefined ? m.migrateToLatest() : m.migrateTo(upTo));
  // Kysely locks PostgreSQL with an advisory lock but has no lock for SQLite; there the whole run
  // happens inside one BEGIN IMMEDIATE transaction, so processes starting together take turns.
  for (let attempt = 1; ; attempt++) {
    // Kysely reports a failed migration instead of throwing; on SQLite it must throw inside the
    // write, or the transaction would commit the statements that ran before the failure.
    const { error, results } = store.dialect === 'sqlite'
      ? await store.write(async (conn) => {
        const outcome = await run(migratorFor(store, conn, true));
        if (outcome.error) throw outcome.error;
        return outcome;
      }).catch((error: unknown) => ({ error, results: undefined }))
      : await run(migratorFor(store));
    // Kysely's table lookup scans every schema of the database; a schema another client drops
    // meanwhile fails that scan with 3F000. Nothing was applied, so looking again is safe.
    if (error && (error as { code?: string }).code === '3F000' && attempt < 3) continue;
    if (error) throw error;
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }
}

/** True when every migration this build knows has been applied. */
export async function migrationsApplied(store: Store): Promise<boolean> {
  // Kysely's own table, read directly: Migrator.getMigrations() first looks for it in every schema
  // of the database, and that scan fails (3F000 and the like) when another client drops a schema
  // meanwhile, which made /readyz answer 503 now and then on a shared PostgreSQL.
  const table = sql.table(store.schema ? `${store.schema}.${DEFAULT_MIGRATION_TABLE}` : DEFAULT_MIGRATION_TABLE);
  let applied: Set<string>;
  try {
    applied = new Set((await sql<{ name: string }>`select name from ${table}`.execute(store.db)).rows.map((r) => r.name));
  } catch (error) {
    if ((error as { code?: string }).code === '42P01' || /no such table/.test(String((error as Error).message))) return false;
    throw error;
  }
  return migrationNames(store.dialect).every((name) => applied.has(name));
}
