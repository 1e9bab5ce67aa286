// What each scenario sends. Baseline and server get the very same requests (method, path, headers,
// body), so the only difference measured is what answers them. Bodies that must be unique
// (externalIds, claimed keysets) are built per request by setupRequest.
import type autocannon from 'autocannon';
import { KEYSETS_PER_CREATE, type Seed } from './seed.js';

export const SCENARIO_NAMES = ['create', 'create-keysets', 'get', 'list100', 'assign-unassign', 'access-token'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const LABELS: Record<ScenarioName, string> = {
  create: 'create customer',
  'create-keysets': `create customer + ${KEYSETS_PER_CREATE} keysets`,
  get: 'get customer',
  list100: 'list a page of 100',
  'assign-unassign': 'assign + unassign (one request each)',
  'access-token': 'access token',
};

/**
 * The order runs happen in: reads first, so that they see the same store size on every run, and
 * the creates last (they grow the store); create runs before create-keysets so its rate sizes the
 * keyset pool that create-keysets needs.
 */
export const RUN_ORDER: ScenarioName[] = ['get', 'list100', 'assign-unassign', 'access-token', 'create', 'create-keysets'];

export type Target = 'baseline' | 'server';

/** Keysets for "create with keysets": each id may be claimed once, so a cursor walks the list. */
export class KeysetPool {
  private ids: number[] = [];
  private next = 0;
  get remaining(): number {
    return this.ids.length - this.next;
  }
  add(ids: number[]): void {
    this.ids = this.ids.slice(this.next).concat(ids);
    this.next = 0;
  }
  take(n: number): number[] | undefined {
    if (this.remaining < n) return undefined;
    this.next += n;
    return this.ids.slice(this.next - n, this.next);
  }
}

export interface LoadPlan {
  requests: autocannon.Request[];
  setupClient?: (client: autocannon.Client) => void;
  /** Send at most this many requests: more would need keysets the pool does not have. */
  amount?: number;
}

export interface PlanContext {
  seed: Seed;
  target: Target;
  pool: KeysetPool;
  headers: Record<string, string>;
}

// One counter for the whole process: externalIds never repeat across warm-ups and rounds.
let serial = 0;

export function plan(name: ScenarioName, ctx: PlanContext): LoadPlan {
  const { seed, headers } = ctx;
  const json = { ...headers, 'content-type': 'application/json' };
  switch (name) {
    case 'create':
      return {
        requests: [{
          method: 'POST', path: '/v2/oem/customers', headers: json,
          setupRequest: (req) => {
            const n = ++serial;
            return { ...req, body: JSON.stringify({ externalId: `c-${seed.runId}-${n}`, name: `Bench customer ${n}` }) };
          },
        }],
      };
    case 'create-keysets': {
      // The baseline never looks at ids, so it gets made-up ones and leaves the pool to the server.
      let fake = 1_000_000_000;
      const take = ctx.target === 'server'
        ? () => ctx.pool.take(KEYSETS_PER_CREATE)
        : () => Array.from({ length: KEYSETS_PER_CREATE }, () => ++fake);
      return {
        requests: [{
          method: 'POST', path: '/v2/oem/customers', headers: json,
          setupRequest: (req) => {
            const n = ++serial;
            // amount keeps requests within the pool, so an empty pool here is a bug in the sizing.
            const keysetIds = take();
            if (!keysetIds) throw new Error('keyset pool exhausted despite amount');
            return { ...req, body: JSON.stringify({ externalId: `k-${seed.runId}-${n}`, name: `Bench customer ${n}`, keysetIds }) };
          },
        }],
        ...(ctx.target === 'server' ? { amount: Math.floor(ctx.pool.remaining / KEYSETS_PER_CREATE) } : {}),
      };
    }
    case 'get': {
      let i = 0;
      return {
        requests: [{
          method: 'GET', path: `/v2/oem/customers/${seed.readIds[0]}`, headers,
          setupRequest: (req) => ({ ...req, path: `/v2/oem/customers/${seed.readIds[i++ % seed.readIds.length]}` }),
        }],
      };
    }
    case 'list100':
      return { requests: [{ method: 'GET', path: '/v2/oem/customers?limit=100', headers }] };
    case 'assign-unassign': {
      // Each connection works on its own customer and keyset: two connections sharing one would
      // unassign a keyset the other already removed (a correct 404 that is not what is measured).
      let client = 0;
      const pairRequests = (p: { customerId: string; keysetId: number }): autocannon.Request[] => [
        { method: 'POST', path: `/v2/oem/customers/${p.customerId}/keysets`, headers: json, body: JSON.stringify({ keysetIds: [p.keysetId] }) },
        { method: 'DELETE', path: `/v2/oem/customers/${p.customerId}/keysets/${p.keysetId}`, headers },
      ];
      return {
        requests: pairRequests(seed.assignPairs[0]!),
        setupClient: (c) => c.setRequests(pairRequests(seed.assignPairs[client++ % seed.assignPairs.length]!)),
      };
    }
    case 'access-token':
      return {
        requests: [{
          method: 'POST', path: '/v2/oem/access-token', headers: json,
          body: JSON.stringify({
            externalId: seed.tokenExternalId, appId: seed.appId, customerUserId: 'bench-user',
            permissions: ['dashboard:read'], expiresIn: '15m',
          }),
        }],
      };
  }
}
