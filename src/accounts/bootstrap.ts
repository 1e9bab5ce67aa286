// First start on an empty store: one OEM-enabled partner account and a key with every permission.
import type { Clock } from '../clock.js';
import type { Store } from '../db/store.js';
import { AccountsService } from './accounts.service.js';
import { claimMeta } from './accounts.repository.js';
import { PERMISSIONS } from './permissions.js';

export const BOOTSTRAP_ACCOUNT_NAME = 'Default partner';

export interface BootstrapResult {
  accountId: number;
  keyId: number;
  /** Present only when the key was generated here, so the caller can print it once. */
  generatedKey?: string;
}

/** Returns undefined when the store was bootstrapped before (by this or another process). */
export async function bootstrap(store: Store, clock: Clock, presetKey: string | undefined): Promise<BootstrapResult | undefined> {
  return store.write(async (trx) => {
    // The meta row is the claim: a concurrent starter blocks on it and then finds it taken.
    if (!(await claimMeta(trx, 'bootstrapped_at', clock.now().toISOString()))) return undefined;
    const accounts = new AccountsService(trx, clock);
    const account = await accounts.createAccount({ name: BOOTSTRAP_ACCOUNT_NAME, oemEnabled: true });
    const key = await accounts.createApiKey({ accountId: account.id, permissions: [...PERMISSIONS], key: presetKey });
    return { accountId: account.id, keyId: key.id, ...(presetKey ? {} : { generatedKey: key.key }) };
  });
}
