// Shared by the secret-key tests: a keyset with its first secret key, and expiries relative to the test clock.
import type { Harness, TestAccount } from './harness.js';

export const SECRET = /^sec-c-[A-Za-z0-9]{48}$/;
export const SEC = 1000;
export const DAY = 24 * 3600 * SEC;

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export function secretKeyClient(h: () => Harness) {
  const req = (acc: TestAccount | string, method: Method, url: string, body?: unknown, version?: string) =>
    h().request({ method, url, key: typeof acc === 'string' ? acc : acc.key, body, version });
  /** A new app and keyset; its id and its first secret key (from the create response). */
  const keyset = async (acc: TestAccount): Promise<{ id: string; secret: string }> => {
    const app = await req(acc, 'POST', '/v2/apps', { name: 'App' });
    const r = await req(acc, 'POST', '/v2/keysets', { keyset: { name: 'K', appId: app.json().id, type: 'testing' } });
    if (r.statusCode !== 201) throw new Error(`keyset create failed: ${r.body}`);
    return { id: r.json().keyset.id, secret: r.json().keyset.secretKeys[0].secretKey };
  };
  /** An instant `ms` after the test clock's now, as the wire form with milliseconds. */
  const at = (ms: number) => new Date(h().clock.now().getTime() + ms).toISOString();
  const url = (keysetId: string, prefix?: string) => `/v2/keysets/${keysetId}/secret-keys${prefix === undefined ? '' : `/${prefix}`}`;
  return { req, keyset, at, url };
}

export const prefixOf = (key: string) => key.slice(0, 11);
