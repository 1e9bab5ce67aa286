// Apps of a partner account. Another account's app is indistinguishable from a missing one.
import type { Clock } from '../clock.js';
import { isForeignKeyViolation } from '../db/errors.js';
import type { Store } from '../db/store.js';
import { badRequest, notFound } from '../errors.js';
import type { Page } from '../pagination.js';
import * as repo from './apps.repository.js';

export interface App {
  id: number;
  name: string;
  createdAt: string;
  updatedAt: string;
}

const toApp = (r: repo.AppRow): App => ({ id: r.id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at });

/** A new app's row, as create stores it (the seed uses it too). */
export function newAppRow(accountId: number, name: string, now: string): Omit<repo.AppRow, 'id'> {
  return { account_id: accountId, name, created_at: now, updated_at: now };
}

export class AppsService {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async create(accountId: number, name: string): Promise<App> {
    const now = this.clock.now().toISOString();
    return toApp(await repo.insertApp(this.store.db, newAppRow(accountId, name, now)));
  }

  async list(accountId: number, page: number, limit: number): Promise<Page<App>> {
    const { rows, total } = await repo.listApps(this.store.db, accountId, (page - 1) * limit, limit);
    return { items: rows.map(toApp), total, page, limit };
  }

  async get(accountId: number, id: number): Promise<App> {
    const row = await repo.findApp(this.store.db, accountId, id);
    if (!row) throw notFound(`app ${id} not found`);
    return toApp(row);
  }

  async rename(accountId: number, id: number, name: string): Promise<App> {
    const row = await repo.renameApp(this.store.db, accountId, id, name, this.clock.now().toISOString());
    if (!row) throw notFound(`app ${id} not found`);
    return toApp(row);
  }

  /** An app that still has keysets is kept (400): deleting it would orphan them. */
  async delete(accountId: number, id: number): Promise<void> {
    try {
      await this.store.write(async (trx) => {
        if (!(await repo.findApp(trx, accountId, id))) throw notFound(`app ${id} not found`);
        const keysets = await repo.countKeysetsOfApp(trx, id);
        if (keysets > 0) throw badRequest(`app ${id} still has ${keysets} keyset(s); delete them first`);
        await repo.deleteApp(trx, accountId, id);
      });
    } catch (error) {
      // A keyset created concurrently in this app: the foreign key refuses the delete.
      if (isForeignKeyViolation(error)) throw badRequest(`app ${id} still has keysets; delete them first`);
      throw error;
    }
  }
}
