// The keyset configuration as the tests expect it, written out here rather than imported from src.
import type { Harness, TestAccount } from './harness.js';
import { ok } from './assertions.js';

/** The whole config of a keyset created without `config` (the PubNub client's fixture, README decisions). */
export const DEFAULT_CONFIG = {
  accessManager: { enabled: false, tokenRevoke: null },
  files: { enabled: true, retention: 7, region: 'us-east-1' },
  streamController: { enabled: true, wildcardSubscribe: true, channelGroupLimit: 100 },
  appContext: {
    enabled: true, region: 'aws-iad-1', userMetadataEvents: true, channelMetadataEvents: true, membershipEvents: true,
    disallowGetAllChannelMetadata: false, disallowGetAllUserMetadata: false, referentialIntegrity: false,
  },
  dataSync: { enabled: false, region: null },
  apns: { enabled: false, teamId: null, authKeyId: null, filename: null },
  fcm: { filename: null },
  messagePersistence: { enabled: true, retention: 7, includePresenceEvents: false, deleteFromHistory: false },
  presence: {
    enabled: true, announceMax: 20, interval: 10, deltas: false, generateLeaveOnDisconnect: false,
    streamFiltering: false, activeNoticeChannel: null, debounce: 2,
  },
};
export type Config = typeof DEFAULT_CONFIG;
export const BLOCKS = Object.keys(DEFAULT_CONFIG) as (keyof Config)[];

export const FILES_REGIONS = ['us-east-1', 'us-west-1', 'eu-central-1', 'ap-south-1', 'ap-northeast-1'];
export const CONTEXT_REGIONS = ['aws-iad-1', 'aws-pdx-1', 'aws-fra-1', 'aws-bom-1', 'aws-hnd-1'];
export const RETENTIONS = [1, 7, 30, 90, 180, 365, 0];

/** The defaults with some blocks' fields replaced (one level deep). */
export function withConfig(changes: Record<string, Record<string, unknown>>): Config {
  const out: Record<string, unknown> = structuredClone(DEFAULT_CONFIG);
  for (const [block, fields] of Object.entries(changes)) out[block] = { ...(out[block] as object), ...fields };
  return out as Config;
}

export const configUrl = (id: string | number) => `/v2/keysets/${id}/config`;

/** Request helpers bound to a harness. */
export function configClient(h: () => Harness) {
  const req = (acc: TestAccount | string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, version?: string) =>
    h().request({ method, url, key: typeof acc === 'string' ? acc : acc.key, body, version });
  const newApp = async (acc: TestAccount): Promise<string> => ok(await req(acc, 'POST', '/v2/apps', { name: 'App' }), 201).id;
  /** POST /v2/keysets (with `config` when given); the whole 201 body. */
  const createRaw = (acc: TestAccount, appId: string, config?: unknown) =>
    req(acc, 'POST', '/v2/keysets', { keyset: { name: 'K', appId, type: 'testing' }, ...(config === undefined ? {} : { config }) });
  const create = async (acc: TestAccount, appId: string, config?: unknown): Promise<{ id: string; config: Config }> => {
    const body = ok(await createRaw(acc, appId, config), 201);
    return { id: body.keyset.id, config: body.config };
  };
  const getConfig = async (acc: TestAccount, id: string): Promise<Config> => ok(await req(acc, 'GET', configUrl(id)));
  const patch = (acc: TestAccount | string, id: string, body: unknown, version?: string) => req(acc, 'PATCH', configUrl(id), body, version);
  return { req, newApp, createRaw, create, getConfig, patch };
}
