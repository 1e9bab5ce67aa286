// Keyset configuration: defaults, the one-level-deep merge, and the rules checked on the merged
// result (regions that cannot change once set, what `enabled: true` needs). Every problem is listed.
import type { Store } from '../db/store.js';
import { badRequest, notFound } from '../errors.js';
import * as repo from './keyset-config.repository.js';
import { BLOCK_NAMES, DEFAULT_KEYSET_CONFIG, type KeysetConfig, type KeysetConfigPatch } from './keyset-config.schemas.js';

const defaults = (): KeysetConfig => structuredClone(DEFAULT_KEYSET_CONFIG) as unknown as KeysetConfig;

/** Each block sent replaces the fields it names; blocks and fields not sent keep their value. */
export function mergeConfig(base: KeysetConfig, patch: KeysetConfigPatch = {}): KeysetConfig {
  const merged: Record<string, unknown> = {};
  for (const block of BLOCK_NAMES) merged[block] = { ...base[block], ...patch[block] };
  return merged as KeysetConfig;
}

type Regional = 'files' | 'appContext' | 'dataSync';
const REGIONAL: Regional[] = ['files', 'appContext', 'dataSync'];

/** The problems of a merged config; `stored` is the config before the change (none on create). */
export function configProblems(merged: KeysetConfig, stored?: KeysetConfig): string[] {
  const problems: string[] = [];
  for (const block of REGIONAL) {
    const before = stored?.[block].region ?? null;
    if (before !== null && merged[block].region !== before) {
      problems.push(`${block}.region cannot be changed once set (it is ${before})`);
    }
  }
  for (const block of REGIONAL) {
    if (merged[block].enabled && merged[block].region === null) problems.push(`${block}.region is required when ${block}.enabled is true`);
  }
  for (const block of ['files', 'messagePersistence'] as const) {
    if (merged[block].enabled && merged[block].retention === null) problems.push(`${block}.retention is required when ${block}.enabled is true`);
  }
  return problems;
}

/** The config of a new keyset: the defaults with what was sent merged over them, or a 400 listing every problem. */
export function newKeysetConfig(sent: KeysetConfigPatch | undefined): KeysetConfig {
  const config = mergeConfig(defaults(), sent);
  const problems = configProblems(config);
  if (problems.length > 0) throw badRequest(problems.map((p) => `config.${p}`));
  return config;
}

export class KeysetConfigService {
  constructor(private readonly store: Store) {}

  async get(accountId: number, keysetId: number): Promise<KeysetConfig> {
    const config = await repo.findKeysetConfig(this.store.db, accountId, keysetId);
    if (config === undefined) throw notFound(`keyset ${keysetId} not found`);
    return mergeConfig(defaults(), config ?? {});
  }

  /** Read, merge and write under the keyset's row lock, so concurrent changes never lose one another. */
  async update(accountId: number, keysetId: number, patch: KeysetConfigPatch): Promise<KeysetConfig> {
    return this.store.write(async (trx) => {
      if (!(await repo.lockKeyset(trx, accountId, keysetId))) throw notFound(`keyset ${keysetId} not found`);
      const stored = mergeConfig(defaults(), (await repo.findKeysetConfig(trx, accountId, keysetId)) ?? {});
      const merged = mergeConfig(stored, patch);
      const problems = configProblems(merged, stored);
      if (problems.length > 0) throw badRequest(problems);
      await repo.saveKeysetConfig(trx, keysetId, merged);
      return merged;
    });
  }
}
