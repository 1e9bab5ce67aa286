// Access tokens (CONTRACT §4.11): a JWT for one end user of one customer, scoped to the customer's
// keysets in one app, signed with the store's current signing key (signing-keys.ts).
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Store } from '../db/store.js';
import { badRequest, notFound } from '../errors.js';
import { MAX_TOKEN_LIFETIME_MS, type SigningKeys } from './signing-keys.js';
import * as repo from './tokens.repository.js';
import { EXPIRES_IN_RANGE, TOKEN_PERMISSIONS } from './tokens.schemas.js';

export const DEFAULT_EXPIRES_IN = '1h';
const MIN_LIFETIME_S = 60;
const MAX_LIFETIME_S = MAX_TOKEN_LIFETIME_MS / 1000;
const UNIT_SECONDS = { m: 60, h: 3600, d: 86_400 } as const;
const known = new Set<string>(TOKEN_PERMISSIONS);

export interface AccessTokenRequest {
  permissions: string[];
  expiresIn?: string;
  externalId: string;
  customerUserId: string;
  appId: number;
}

/**
 * `15m`, `1h`, `1d` → seconds, or a 400 naming expiresIn. The route's schema refuses the same
 * values first (with every other problem of the body); this keeps the service whole on its own.
 */
export function lifetimeSeconds(expiresIn: string): number {
  const m = /^(\d+)([mhd])$/.exec(expiresIn);
  if (!m) throw badRequest('expiresIn must match pattern ^\\d+[mhd]$');
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  if (!(seconds >= MIN_LIFETIME_S && seconds <= MAX_LIFETIME_S)) throw badRequest(`expiresIn must be ${EXPIRES_IN_RANGE}`);
  return seconds;
}

export class TokensService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly keys: SigningKeys,
    private readonly issuer: string,
  ) {}

  async issue(accountId: number, input: AccessTokenRequest): Promise<string> {
    const lifetime = lifetimeSeconds(input.expiresIn ?? DEFAULT_EXPIRES_IN);
    const unknown = input.permissions.filter((p) => !known.has(p));
    if (unknown.length > 0) throw badRequest(unknown.map((p) => `permissions: unknown permission ${p}`));
    const permissions = [...new Set(input.permissions)]; // first occurrences, in the order given

    // Another account's customer reads exactly like a missing one (CONTRACT §2).
    const customer = await repo.findCustomerByExternalId(this.store.db, accountId, input.externalId);
    if (!customer) throw notFound(`customer with externalId ${input.externalId} not found`);
    // An unknown app, another account's app and an app where the customer holds nothing read alike.
    const keysetIds = await repo.keysetIdsInApp(this.store.db, accountId, customer.id, input.appId);
    if (keysetIds.length === 0) {
      throw badRequest(`appId: customer ${input.externalId} holds no keyset in app ${input.appId}`);
    }

    const iat = Math.floor(this.clock.now().getTime() / 1000);
    return this.keys.sign({
      iss: this.issuer,
      sub: input.customerUserId,
      iat,
      exp: iat + lifetime,
      jti: randomUUID(),
      accountId,
      customerId: customer.id,
      externalId: customer.external_id,
      appId: input.appId,
      keysetIds,
      permissions,
    });
  }
}
