// Accounts and their API keys. A key is shown once, at creation; only its SHA-256 hash is stored.
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../secrets.js';
import type { Clock } from '../clock.js';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { AppError, badRequest, notFound } from '../errors.js';
import * as repo from './accounts.repository.js';
import { isPermission, PERMISSIONS, type Permission } from './permissions.js';

export interface Account {
  id: number;
  name: string;
  oemEnabled: boolean;
}

export interface ApiKeyInfo {
  id: number;
  accountId: number;
  prefix: string;
  permissions: Permission[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface Principal {
  /** Who is calling: `api-key:<id>` or `user:<id>` (a legacy session); the unit for per-caller limits. */
  credential: string;
  accountId: number;
  permissions: ReadonlySet<string>;
  oemEnabled: boolean;
}

const KEY_PREFIX = 'oem_';
const SHOWN_PREFIX_LENGTH = KEY_PREFIX.length + 6;

export const hashApiKey = sha256Hex;

/** 256 random bits behind a recognisable prefix. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** `30s`, `15m`, `12h`, `7d` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})(s|m|h|d)$/.exec(text);
  if (!m) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  return ms > 0 ? ms : undefined;
}

function toAccount(row: repo.AccountRow): Account {
  return { id: row.id, name: row.name, oemEnabled: row.oem_enabled === 1 };
}

function toKeyInfo(row: repo.ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    accountId: row.account_id,
    prefix: row.key_prefix,
    permissions: row.permissions.split(' ').filter(isPermission),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export class AccountsService {
  /** `db` may be a transaction: bootstrap creates the first account and key inside its own. */
  constructor(private readonly db: Kysely<DB>, private readonly clock: Clock) {}

  async createAccount(input: { name: string; oemEnabled: boolean }): Promise<Account> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 255) throw badRequest('name must be 1 to 255 characters long');
    const row = await repo.insertAccount(this.db, { name, oemEnabled: input.oemEnabled, createdAt: this.now() });
    return toAccount(row);
  }

  async getAccount(id: number): Promise<Account> {
    const row = await repo.findAccount(this.db, id);
    if (!row) throw notFound(`account ${id} not found`);
    return toAccount(row);
  }

  /** Returns the key itself once; afterwards only its prefix is ever shown. */
  async createApiKey(input: { accountId: number; permissions: string[]; expiresInMs?: number; key?: string }) {
    const unknown = input.permissions.filter((p) => !isPermission(p));
    if (unknown.length > 0) throw badRequest(`unknown permission(s) ${unknown.join(', ')}; known: ${PERMISSIONS.join(', ')}`);
    if (input.permissions.length === 0) throw badRequest('at least one permission is required');
    await this.getAccount(input.accountId);
    const key = input.key ?? generateApiKey();
    const now = this.clock.now();
    const expiresAt = input.expiresInMs === undefined ? null : new Date(now.getTime() + input.expiresInMs).toISOString();
    const permissions = [...new Set(input.permissions)] as Permission[];
    const row = await repo.insertApiKey(this.db, {
      account_id: input.accountId,
      key_hash: hashApiKey(key),
      key_prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
      permissions: permissions.join(' '),
      created_at: now.toISOString(),
      expires_at: expiresAt,
    });
    return { id: row.id, key, accountId: row.account_id, permissions, expiresAt };
  }

  async listApiKeys(accountId: number): Promise<ApiKeyInfo[]> {
    await this.getAccount(accountId);
    return (await repo.listApiKeys(this.db, accountId)).map(toKeyInfo);
  }

  async revokeApiKey(id: number): Promise<ApiKeyInfo> {
    await repo.revokeApiKey(this.db, id, this.now());
    const row = await repo.findApiKey(this.db, id);
    if (!row) throw notFound(`API key ${id} not found`);
    return toKeyInfo(row);
  }

  /** The principal behind a presented key, or an Unauthorized error saying why not. */
  async authenticate(presented: string | undefined): Promise<Principal> {
    if (!presented) throw new AppError('Unauthorized', 'missing API key: send it in the Authorization header');
    const found = await repo.findApiKeyByHash(this.db, hashApiKey(presented));
    if (!found) throw new AppError('Unauthorized', 'invalid API key');
    if (found.revokedAt !== null) throw new AppError('Unauthorized', 'this API key has been revoked');
    if (found.expiresAt !== null && found.expiresAt <= this.now()) throw new AppError('Unauthorized', 'this API key has expired');
    return {
      credential: `api-key:${found.keyId}`,
      accountId: found.accountId,
      permissions: new Set(found.permissions.split(' ')),
      oemEnabled: found.oemEnabled === 1,
    };
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
