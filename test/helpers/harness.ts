// The test harness: a real store (a fresh SQLite file, or a fresh PostgreSQL schema), migrated,
// with an app built on it and driven through inject. Each suite runs once per store.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pg from 'pg';
import { AccountsService } from '../../src/accounts/accounts.service.js';
import { PERMISSIONS, type Permission } from '../../src/accounts/permissions.js';
import { buildApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { migrate } from '../../src/db/migrations.js';
import { openStore, type Store } from '../../src/db/store.js';
import { auditing, auditInject, auditLogger } from './audit.js';

export type StoreKind = 'sqlite' | 'postgres';
export const PG_URL = process.env.TEST_DATABASE_URL;
export const STORE_KINDS: StoreKind[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
export const DEFAULT_VERSION = '2026-02-09';

/** A clock that tests can move; by default it follows real time. */
export class TestClock implements Clock {
  private offset = 0;
  private frozen: number | undefined;
  now(): Date {
    return new Date(this.frozen ?? Date.now() + this.offset);
  }
  freeze(at: Date | string): void {
    this.frozen = new Date(at).getTime();
  }
  advance(ms: number): void {
    if (this.frozen !== undefined) this.frozen += ms;
    else this.offset += ms;
  }
}

export interface StoreHandle {
  kind: StoreKind;
  /** The DATABASE_URL a child process needs to reach the same data. */
  url: string;
  store: Store;
  /** Opens another connection to the same data (another "process" in-process). */
  reopen(): Promise<Store>;
  destroy(): Promise<void>;
}

const tmpDirs: string[] = [];

export async function freshStore(kind: StoreKind): Promise<StoreHandle> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-test-'));
    tmpDirs.push(dir);
    const url = `sqlite:${path.join(dir, 'oem.sqlite')}`;
    const store = await openStore(url);
    await migrate(store);
    return {
      kind, url, store,
      reopen: () => openStore(url),
      destroy: async () => {
        try {
          await store.close();
        } finally {
          fs.rmSync(dir, { recursive: true, force: true }); // even when a test closed the store already
        }
      },
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const store = await openStore(PG_URL!, { pgSchema: schema });
  await migrate(store);
  const u = new URL(PG_URL!);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    kind, url: u.toString(), store,
    reopen: () => openStore(PG_URL!, { pgSchema: schema }),
    destroy: async () => {
      await store.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

export interface TestAccount {
  accountId: number;
  key: string;
}

export class Harness {
  constructor(
    readonly handle: StoreHandle,
    readonly app: FastifyInstance,
    readonly clock: TestClock,
    readonly accounts: AccountsService,
  ) {}

  get store(): Store {
    return this.handle.store;
  }

  /** A new partner account with a key; every test takes its own, so tests never see each other's data. */
  async account(opts: { oem?: boolean; permissions?: Permission[]; expiresInMs?: number } = {}): Promise<TestAccount> {
    const account = await this.accounts.createAccount({ name: 'Test partner', oemEnabled: opts.oem ?? true });
    const key = await this.accounts.createApiKey({
      accountId: account.id,
      permissions: opts.permissions ?? [...PERMISSIONS],
      expiresInMs: opts.expiresInMs,
    });
    return { accountId: account.id, key: key.key };
  }

  /** A request with the usual headers; `headers` overrides them (a value of undefined removes one). */
  request(opts: {
    method: InjectOptions['method'];
    url: string;
    key?: string;
    body?: unknown;
    version?: string;
    headers?: Record<string, string | undefined>;
    payload?: string;
  }) {
    const headers: Record<string, string | undefined> = {
      authorization: opts.key,
      'pubnub-version': opts.version ?? DEFAULT_VERSION,
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    };
    const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string>;
    return this.app.inject({
      method: opts.method,
      url: opts.url,
      headers: clean,
      ...(opts.payload !== undefined ? { payload: opts.payload } : opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}),
    });
  }

  /** Creates an app and n keysets in it for an account; returns their ids. */
  async keysets(acc: TestAccount, n: number): Promise<{ appId: number; keysetIds: number[] }> {
    const app = await this.request({ method: 'POST', url: '/v2/apps', key: acc.key, body: { name: 'App' } });
    if (app.statusCode !== 201) throw new Error(`app create failed: ${app.body}`);
    const appId = Number(app.json().id);
    const keysetIds: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await this.request({ method: 'POST', url: '/v2/keysets', key: acc.key, body: { keyset: { name: `K${i}`, appId: String(appId), type: 'testing' } } });
      if (r.statusCode !== 201) throw new Error(`keyset create failed: ${r.body}`);
      keysetIds.push(Number(r.json().keyset.id));
    }
    return { appId, keysetIds };
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.handle.destroy();
  }
}

export async function createHarness(kind: StoreKind, opts: { bodyLimit?: number } = {}): Promise<Harness> {
  const handle = await freshStore(kind);
  const clock = new TestClock();
  const logger = auditing ? auditLogger(`harness app [${kind}]`) : undefined;
  const app = await buildApp({ config: { bodyLimit: opts.bodyLimit ?? 1024 * 1024 }, store: handle.store, clock, ...(logger ? { logger } : {}) });
  auditInject(app);
  return new Harness(handle, app, clock, new AccountsService(handle.store.db, clock));
}

/** Runs `suite` once per store kind, each with its own fresh store and app. */
export function describeEachStore(title: string, suite: (h: () => Harness, kind: StoreKind) => void, opts: { bodyLimit?: number } = {}): void {
  for (const kind of STORE_KINDS) {
    describe(`${title} [${kind}]`, () => {
      let harness: Harness | undefined;
      before(async () => {
        harness = await createHarness(kind, opts);
      });
      after(async () => {
        await harness?.close();
      });
      suite(() => harness!, kind);
    });
  }
}

/** Counts rows of a table directly in the store (to prove a 4xx wrote nothing). */
export async function countRows(store: Store, table: 'customers' | 'customer_keysets' | 'apps' | 'keysets'): Promise<number> {
  const r = await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}
