// Assertions shared by the route tests: a success with a JSON body, and an error in the envelope.
import assert from 'node:assert/strict';
import { errorNameFor } from '../../src/errors.js';
import { KNOWN_VERSIONS } from '../../src/http/versions.js';
import type { Harness } from './harness.js';

export type Res = Awaited<ReturnType<Harness['request']>>;
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const VERSIONS: readonly string[] = KNOWN_VERSIONS;

/** A success: the status, and a JSON body (PubNub's client parses one from every 2xx). */
export function ok(r: Res, status = 200) {
  assert.equal(r.statusCode, status, r.body);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  return r.json();
}

/**
 * An error in the envelope and nothing else; `message` is the exact list of problems (in any
 * order when `anyOrder`), or a pattern its single entry matches.
 */
export function fails(r: Res, status: number, message: string[] | RegExp, anyOrder = false) {
  assert.equal(r.statusCode, status, r.body);
  const { statusCode, error, message: got, ...rest } = r.json();
  assert.deepEqual([statusCode, error, rest], [status, errorNameFor(status), {}]);
  if (!Array.isArray(message)) assert.ok(got.length === 1 && message.test(got[0]), r.body);
  else if (anyOrder) assert.deepEqual(new Set(got), new Set(message));
  else assert.deepEqual(got, message);
}
