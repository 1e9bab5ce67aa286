// Keysets of a partner account. The secret key is returned once, by create, and stored only hashed.
import type { Clock } from '../clock.js';
import { findApp } from '../apps/apps.repository.js';
import type { Page } from '../pagination.js';
import { isForeignKeyViolation } from '../db/errors.js';
import type { Store } from '../db/store.js';
import { notFound } from '../errors.js';
import { newPublishKey, newSecretKey, newSubscribeKey } from './keys.js';
import * as repo from './keysets.repository.js';
import { insertFirstSecretKey } from './secret-keys.service.js';
import { insertKeysetConfig } from './keyset-config.repository.js';
import type { KeysetConfig, KeysetConfigPatch } from './keyset-config.schemas.js';
import { newKeysetConfig } from './keyset-config.service.js';

export type KeysetType = 'testing' | 'production';

export interface Keyset {
  id: number;
  appId: number;
  name: string;
  type: KeysetType;
  publishKey: string;
  subscribeKey: string;
  createdAt: string;
  updatedAt: string;
}

const toKeyset = (r: repo.KeysetRow): Keyset => ({
  id: r.id,
  appId: r.app_id,
  name: r.name,
  type: r.type,
  publishKey: r.publish_key,
  subscribeKey: r.subscribe_key,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A new keyset's row with fresh publish and subscribe keys, as create stores it (the seed uses it too). */
export function newKeysetRow(accountId: number, appId: number, name: string, type: KeysetType, now: string): Omit<repo.KeysetRow, 'id'> {
  return {
    account_id: accountId, app_id: appId, name, type, publish_key: newPublishKey(), subscribe_key: newSubscribeKey(), created_at: now, updated_at: now,
  };
}

export class KeysetsService {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async create(
    accountId: number,
    input: { appId: number; name: string; type: KeysetType; config?: KeysetConfigPatch },
  ): Promise<{ keyset: Keyset; secretKey: string; config: KeysetConfig }> {
    const secretKey = newSecretKey();
    const now = this.clock.now().toISOString();
    try {
      const row = await this.store.write(async (trx) => {
        if (!(await findApp(trx, accountId, input.appId))) throw notFound(`app ${input.appId} not found`);
        const config = newKeysetConfig(input.config); // 400 listing every problem, before anything is written
        const inserted = await repo.insertKeyset(trx, newKeysetRow(accountId, input.appId, input.name, input.type, now));
        await insertKeysetConfig(trx, inserted.id, config);
        await insertFirstSecretKey(trx, inserted.id, secretKey, now);
        return { inserted, config };
      });
      return { keyset: toKeyset(row.inserted), secretKey, config: row.config };
    } catch (error) {
      // The app was deleted between the check and the insert.
      if (isForeignKeyViolation(error)) throw notFound(`app ${input.appId} not found`);
      throw error;
    }
  }

  async list(accountId: number, appId: number | undefined, page: number, limit: number): Promise<Page<Keyset>> {
    const { rows, total } = await repo.listKeysets(this.store.db, accountId, appId, (page - 1) * limit, limit);
    return { items: rows.map(toKeyset), total, page, limit };
  }

  async get(accountId: number, id: number): Promise<Keyset> {
    const row = await repo.findKeyset(this.store.db, accountId, id);
    if (!row) throw notFound(`keyset ${id} not found`);
    return toKeyset(row);
  }

  async update(accountId: number, id: number, changes: { name?: string; type?: KeysetType }): Promise<Keyset> {
    const row = await repo.updateKeyset(this.store.db, accountId, id, { ...changes, updated_at: this.clock.now().toISOString() });
    if (!row) throw notFound(`keyset ${id} not found`);
    return toKeyset(row);
  }

  async delete(accountId: number, id: number): Promise<void> {
    if (!(await repo.deleteKeyset(this.store.db, accountId, id))) throw notFound(`keyset ${id} not found`);
  }
}
