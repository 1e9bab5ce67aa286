// Table types as Kysely sees them. Timestamps are ISO-8601 UTC strings with milliseconds on both
// stores (they sort as text and come back exactly as written); ids are JS numbers on both stores.
import type { Generated } from 'kysely';

export interface AccountsTable {
  id: Generated<number>;
  name: string;
  oem_enabled: number; // 0 | 1 on both stores, so one query shape fits both
  created_at: string;
}

export interface ApiKeysTable {
  id: Generated<number>;
  account_id: number;
  key_hash: string; // SHA-256 hex of the whole key; the key itself is never stored
  key_prefix: string; // the first characters, to recognise a key in listings
  permissions: string; // space-separated
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface AppsTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface KeysetsTable {
  id: Generated<number>;
  account_id: number;
  app_id: number;
  name: string;
  type: 'testing' | 'production';
  publish_key: string;
  subscribe_key: string;
  created_at: string;
  updated_at: string;
}

export interface KeysetConfigsTable {
  keyset_id: number; // primary key; the row goes with its keyset
  config: string; // the whole keyset configuration, JSON
}

export interface SecretKeysTable {
  id: Generated<number>;
  keyset_id: number;
  prefix: string | null; // sec-c- and the next five characters; null for a key migrated from before 0005 (unknown)
  hash: string; // SHA-256 hex of the whole key; the key itself is never stored
  expires_at: string | null; // null for the keyset's one permanent key
  created_at: string;
}

export interface CustomersTable {
  id: string;
  account_id: number;
  external_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface CustomerKeysetsTable {
  keyset_id: number; // primary key: a keyset belongs to at most one customer
  customer_id: string;
  assigned_at: string;
}

export interface SigningKeysTable {
  kid: string; // the RFC 7638 thumbprint of the public key
  alg: string; // 'ES256'
  private_jwk: string; // JSON; never logged, never leaves src/tokens/signing-keys.ts
  public_jwk: string; // JSON, as served in /.well-known/jwks.json
  created_at: string;
  retire_after: string | null; // null for the current key; else the JWKS serves it until this time
}

export interface UsersTable {
  id: Generated<number>;
  account_id: number;
  email: string; // trimmed and lower-cased
  password_hash: string; // scrypt$N$r$p$salt$hash
  created_at: string;
  password_changed_at: string;
}

export interface SessionsTable {
  token_hash: string;
  user_id: number;
  password_version: string;
  created_at: string;
  expires_at: string;
}

export interface IdempotencyKeysTable {
  id: Generated<number>;
  account_id: number;
  key_hash: string; // SHA-256 hex of the Idempotency-Key
  fingerprint: string; // SHA-256 hex of method, path and raw body of the first request
  status: number | null; // null while the first request is in flight
  content_type: string | null;
  body: string | null; // the response payload, AES-256-GCM encrypted (src/http/idempotency.ts)
  created_at: string;
  completed_at: string | null;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface DB {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  apps: AppsTable;
  keysets: KeysetsTable;
  keyset_configs: KeysetConfigsTable;
  secret_keys: SecretKeysTable;
  customers: CustomersTable;
  customer_keysets: CustomerKeysetsTable;
  oem_meta: MetaTable;
  signing_keys: SigningKeysTable;
  users: UsersTable;
  sessions: SessionsTable;
  idempotency_keys: IdempotencyKeysTable;
}
