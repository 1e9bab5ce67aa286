// The data the scenarios need, created through the public API before anything is measured (the
// bench knows nothing of the store's tables, so it keeps working as they change).
import { randomBytes } from 'node:crypto';

export const API_VERSION = '2026-03-23';
/** How many keysets each "create with keysets" request claims. */
export const KEYSETS_PER_CREATE = 2;
/** Customers in the store before any create runs: more than one page of 100. */
const LISTED_CUSTOMERS = 150;
/** Of those, how many hold keysets and are read by the get scenario. */
const READ_CUSTOMERS = 50;

export class Api {
  constructor(readonly baseUrl: string, readonly key: string) {}

  headers(body: boolean): Record<string, string> {
    return { authorization: this.key, 'pubnub-version': API_VERSION, ...(body ? { 'content-type': 'application/json' } : {}) };
  }

  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(this.baseUrl + path, {
      method,
      headers: this.headers(body !== undefined),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    if (r.status < 200 || r.status > 299) throw new Error(`seeding: ${method} ${path} answered ${r.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
}

/** Runs fn(0..count-1) with at most `width` calls in flight; results in index order. */
async function parallel<T>(count: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  return out;
}

export interface Seed {
  appId: number;
  /** A prefix no other run uses, for externalIds. */
  runId: string;
  /** Customers holding two keysets each, read by "get". */
  readIds: string[];
  /** One customer and one free keyset per connection, for assign + unassign. */
  assignPairs: { customerId: string; keysetId: number }[];
  /** A customer holding keysets in appId, for access tokens. */
  tokenExternalId: string;
  /** Keysets no customer holds; "create with keysets" takes them from the front. */
  freeKeysets: number[];
}

export class Seeder {
  private keysetCounter = 0;

  constructor(readonly api: Api, readonly appId: number) {}

  static async start(api: Api): Promise<Seeder> {
    const app = await api.call<{ id: string }>('POST', '/v2/apps', { name: 'Bench app' });
    return new Seeder(api, Number(app.id));
  }

  /** New keysets in the app, none held by a customer. Eight in flight keeps seeding short. */
  async keysets(count: number): Promise<number[]> {
    return parallel(count, 8, async () => {
      const n = ++this.keysetCounter;
      const r = await this.api.call<{ keyset: { id: string } }>('POST', '/v2/keysets', {
        keyset: { name: `Bench keyset ${n}`, appId: String(this.appId), type: 'testing' },
      });
      return Number(r.keyset.id);
    });
  }

  async seed(connections: number): Promise<Seed> {
    const runId = randomBytes(4).toString('hex');
    const held = await this.keysets(READ_CUSTOMERS * 2);
    const customers = await parallel(LISTED_CUSTOMERS, 8, async (i) => {
      const keysetIds = i < READ_CUSTOMERS ? [held[2 * i]!, held[2 * i + 1]!] : [];
      const r = await this.api.call<{ result: { id: string; externalId: string } }>('POST', '/v2/oem/customers', {
        externalId: `seed-${runId}-${i}`, name: `Seeded customer ${i}`, keysetIds,
      });
      return r.result;
    });
    const pairKeysets = await this.keysets(connections);
    const pairCustomers = await parallel(connections, 8, async (i) =>
      (await this.api.call<{ result: { id: string } }>('POST', '/v2/oem/customers', { externalId: `pair-${runId}-${i}`, name: `Assign target ${i}` })).result.id);
    return {
      appId: this.appId,
      runId,
      readIds: customers.slice(0, READ_CUSTOMERS).map((c) => c.id),
      assignPairs: pairCustomers.map((customerId, i) => ({ customerId, keysetId: pairKeysets[i]! })),
      tokenExternalId: customers[0]!.externalId,
      freeKeysets: [],
    };
  }
}
