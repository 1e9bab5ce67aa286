// Secret keys of a keyset: one permanent key and up to five rotated keys with expiries. A key is
// shown once, when it is made; the store holds its SHA-256 and its public prefix (sec-c-xxxxx).
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { DB } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { badRequest, notFound } from '../errors.js';
import { findKeyset } from './keysets.repository.js';
import { hashSecretKey, newSecretKey } from './keys.js';
import * as repo from './secret-keys.repository.js';

export const MAX_ROTATED_KEYS = 5;
export const MIN_EXPIRY_MS = 60_000;
export const MAX_EXPIRY_MS = 366 * 24 * 3600_000;
/** How a key whose prefix was never stored (made before migration 0005) is listed. */
export const UNKNOWN_PREFIX = 'sec-c-?????';

export interface SecretKeyInfo {
  /** sec-c- and the first five alphanumerics after it; UNKNOWN_PREFIX for a migrated key. */
  prefix: string;
  expiresAt: string | null;
}

/** sec-c- and the next five characters: the key's public name. */
export const secretKeyPrefix = (key: string) => key.slice(0, 11);

const toInfo = (r: repo.SecretKeyRow): SecretKeyInfo => ({ prefix: r.prefix ?? UNKNOWN_PREFIX, expiresAt: r.expires_at });

/** The stored form of a keyset's permanent key: its prefix and hash, never the key (the seed uses it too). */
export function permanentSecretKeyRow(keysetId: number, key: string, now: string): Omit<repo.SecretKeyRow, 'id'> {
  return { keyset_id: keysetId, prefix: secretKeyPrefix(key), hash: hashSecretKey(key), expires_at: null, created_at: now };
}

/** Stores the first secret key of a keyset (its hash and prefix), in the transaction that creates the keyset. */
export async function insertFirstSecretKey(trx: Kysely<DB>, keysetId: number, key: string, now: string): Promise<void> {
  await repo.insertSecretKey(trx, permanentSecretKeyRow(keysetId, key, now));
}

/**
 * A new key, stored as the keyset's permanent key; a prefix the keyset already uses is drawn again
 * (about 1 in 10^8 per key). Called with the keyset locked.
 */
async function insertNewPermanentKey(trx: Kysely<DB>, keysetId: number, now: string, taken: (string | null)[]): Promise<string> {
  let key = newSecretKey();
  while (taken.includes(secretKeyPrefix(key))) key = newSecretKey();
  await insertFirstSecretKey(trx, keysetId, key, now);
  return key;
}

export class SecretKeysService {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async list(accountId: number, keysetId: number, activeOnly: boolean): Promise<SecretKeyInfo[]> {
    if (!(await findKeyset(this.store.db, accountId, keysetId))) throw notFound(`keyset ${keysetId} not found`);
    const now = this.clock.now().toISOString();
    const rows = await repo.listSecretKeys(this.store.db, keysetId);
    return rows.filter((r) => !activeOnly || r.expires_at === null || r.expires_at > now).map(toInfo);
  }

  /**
   * Without expiresAt the permanent key is replaced at once. With it, the permanent key gets that
   * expiry (it keeps working until then) and a new permanent key is made. Returns the new key.
   */
  async rotate(accountId: number, keysetId: number, expiresAt?: string): Promise<string> {
    const now = this.clock.now();
    const at = now.toISOString();
    return this.store.write(async (trx) => {
      await this.lock(trx, accountId, keysetId); // an unknown keyset is a 404 before any 400
      const expiry = expiresAt === undefined ? undefined : this.checkExpiry(expiresAt, now);
      const keys = await repo.listSecretKeys(trx, keysetId);
      const permanent = keys.find((k) => k.expires_at === null);
      if (expiry === undefined) {
        if (permanent) await repo.deleteSecretKey(trx, permanent.id);
      } else {
        const inEffect = keys.filter((k) => k.expires_at !== null && k.expires_at > at).length;
        if (inEffect >= MAX_ROTATED_KEYS) {
          throw badRequest(`keyset ${keysetId} already has ${MAX_ROTATED_KEYS} rotated secret keys in effect; delete one or wait until one expires`);
        }
        if (permanent) await repo.setSecretKeyExpiry(trx, permanent.id, expiry);
      }
      const taken = keys.filter((k) => expiry !== undefined || k !== permanent).map((k) => k.prefix);
      return insertNewPermanentKey(trx, keysetId, at, taken);
    });
  }

  /** A new expiry for a rotated key that is still in effect. */
  async updateExpiry(accountId: number, keysetId: number, prefix: string, expiresAt: string): Promise<SecretKeyInfo> {
    const now = this.clock.now();
    return this.store.write(async (trx) => {
      const key = await this.rotatedKey(trx, accountId, keysetId, prefix, 'changed');
      const expiry = this.checkExpiry(expiresAt, now);
      if (key.expires_at! <= now.toISOString()) throw badRequest(`secret key ${prefix} has expired; an expired key cannot be renewed`);
      await repo.setSecretKeyExpiry(trx, key.id, expiry);
      return { prefix, expiresAt: expiry };
    });
  }

  /** Deletes a rotated key (expired or not); the permanent key cannot be deleted. */
  async delete(accountId: number, keysetId: number, prefix: string): Promise<void> {
    await this.store.write(async (trx) => {
      const key = await this.rotatedKey(trx, accountId, keysetId, prefix, 'deleted');
      await repo.deleteSecretKey(trx, key.id);
    });
  }

  private async lock(trx: Kysely<DB>, accountId: number, keysetId: number): Promise<void> {
    if (!(await repo.lockKeyset(trx, accountId, keysetId))) throw notFound(`keyset ${keysetId} not found`);
  }

  private async rotatedKey(trx: Kysely<DB>, accountId: number, keysetId: number, prefix: string, verb: string): Promise<repo.SecretKeyRow> {
    await this.lock(trx, accountId, keysetId);
    const key = await repo.findSecretKey(trx, keysetId, prefix);
    if (!key) throw notFound(`secret key ${prefix} not found in keyset ${keysetId}`);
    if (key.expires_at === null) {
      throw badRequest(`secret key ${prefix} is the permanent key of keyset ${keysetId}; only a key with an expiry can be ${verb}`);
    }
    return key;
  }

  /** expiresAt (already matching the wire pattern) as a normalised ISO string, 60 s to 366 days ahead. */
  private checkExpiry(expiresAt: string, now: Date): string {
    const ms = Date.parse(expiresAt);
    // Date.parse rolls 2026-02-30 over to March; a value that does not read back the same is not a date.
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== expiresAt.slice(0, 19)) {
      throw badRequest('expiresAt must be a valid date-time');
    }
    if (ms < now.getTime() + MIN_EXPIRY_MS) throw badRequest('expiresAt must be at least 60 seconds in the future');
    if (ms > now.getTime() + MAX_EXPIRY_MS) throw badRequest('expiresAt must be at most 366 days in the future');
    return new Date(ms).toISOString();
  }
}
