// The size of the heavier tests. CI runs them at TEST_SCALE=1 (bounded in time); a user who wants
// the larger setting of the same tests runs e.g. `TEST_SCALE=20 TEST_FILTER=crash npm test`.
const raw = process.env.TEST_SCALE ?? '1';
if (!/^[1-9]\d{0,3}$/.test(raw)) throw new Error(`TEST_SCALE must be a whole number from 1 to 9999, not ${JSON.stringify(raw)}`);

/** The multiplier of the heavier tests' rounds and request counts (1 in CI). */
export const SCALE = Number(raw);

/** n at scale 1, n × TEST_SCALE otherwise. */
export const scaled = (n: number): number => n * SCALE;
