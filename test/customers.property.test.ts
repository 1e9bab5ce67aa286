// Property-based tests of POST /v2/oem/customers (CONTRACT §1, §2, §4.1) against an independent oracle.
// Runs per property: PROPERTY_RUNS (default 200).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { countRows, describeEachStore, type Harness, type TestAccount } from './helpers/harness.js';

const URL = '/v2/oem/customers';
const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
const KNOWN = ['2025-11-15', '2026-02-09', '2026-03-01', '2026-03-23', '2026-08-24', '2026-09-03'];
const SINCE = '2026-02-09';
const ERROR_NAMES: Record<number, string> = { 400: 'BadRequest', 413: 'PayloadTooLarge', 415: 'UnsupportedMediaType' };

// ---- the oracle, written from the contract alone ----

/** What the account holds, as far as the contract lets the test know it. */
interface World { usedExternalIds: Set<string>; ownKeysets: Set<number>; heldKeysets: Set<number> }

const codePoints = (s: string) => [...s].length;
function storable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) { i++; continue; }
      return false;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** The distinct keyset ids a body claims when it is a valid create body, else undefined. */
function validCreate(body: unknown, world: World): number[] | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const o = body as Record<string, unknown>;
  if (!Object.keys(o).every((k) => k === 'externalId' || k === 'name' || k === 'keysetIds')) return undefined;
  const { externalId, name, keysetIds } = o;
  if (typeof externalId !== 'string' || externalId.length < 1 || externalId.length > 255 || !/^[a-zA-Z0-9_-]+$/.test(externalId)) return undefined;
  if (world.usedExternalIds.has(externalId)) return undefined;
  if (typeof name !== 'string' || codePoints(name) < 1 || codePoints(name) > 255 || !storable(name)) return undefined;
  if (!('keysetIds' in o)) return [];
  if (!Array.isArray(keysetIds) || !keysetIds.every((k) => typeof k === 'number' && Number.isSafeInteger(k) && k >= 1)) return undefined;
  const distinct = [...new Set(keysetIds as number[])];
  if (distinct.length > 5 || !distinct.every((k) => world.ownKeysets.has(k) && !world.heldKeysets.has(k))) return undefined;
  return distinct.sort((a, b) => a - b);
}

type Media = 'json' | 'not-json' | 'unknown';
function mediaOf(contentType: string | undefined): Media {
  if (contentType === undefined) return 'not-json';
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  if (essence !== 'application/json') return /^[\w.+-]+\/[\w.+-]+$/.test(essence) || essence === '' ? 'not-json' : 'unknown';
  return /^application\/json(\s*;\s*charset=("?)[\w-]+\2)?$/i.test(contentType.trim()) ? 'json' : 'unknown';
}
const versionOk = (v: string | undefined) => v !== undefined && KNOWN.includes(v) && v >= SINCE;

// ---- generators ----

const unitChars = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constant('\u0000') },
  { weight: 2, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.constantFrom('😀', 'e\u0301', '\u200d', '\ufeff', '\u2028', ' ', '"', '\\') },
);
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: unitChars, maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', minLength: 250, maxLength: 260 }),
);
const weirdNumber = fc.oneof(
  fc.integer(), fc.double(), fc.constantFrom(0, -1, -0, 1.5, 2 ** 53, 2 ** 53 - 1, 2 ** 53 + 2, 1e21, 1e300, -1e300, Number.MIN_VALUE),
);
const junk = fc.oneof(weirdNumber, anyString, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }), fc.object({ maxDepth: 2 }));
const externalIdArb = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_-]{1,16}$/) },
  { weight: 2, arbitrary: fc.constantFrom('dup-a', 'dup-b', 'Dup-a') }, // repeats: the oracle knows which are taken
  { weight: 1, arbitrary: fc.constantFrom(254, 255, 256, 257).chain((n) => fc.stringMatching(new RegExp(`^[a-z0-9_-]{${n}}$`))) },
  { weight: 1, arbitrary: fc.constantFrom('', 'a b', 'dot.ted', 'ümlaut', 'x\n', 'a\u0000', '\ud800') },
  { weight: 2, arbitrary: anyString },
  { weight: 1, arbitrary: junk },
);
const atLength = (n: number) => fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constant('😀')), minLength: n, maxLength: n });
const nameArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom(254, 255, 256, 257).chain(atLength) }, // the boundary, in code points
  { weight: 4, arbitrary: anyString },
  { weight: 1, arbitrary: junk },
);
const keysetIdsArb = (own: number[], foreign: number) => fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...own), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.shuffledSubarray(own, { minLength: 5, maxLength: 7 }) },
  { weight: 3, arbitrary: fc.array(fc.oneof(fc.constantFrom(...own), fc.constant(foreign), weirdNumber, fc.integer({ min: 1, max: 2 ** 40 }), junk), { maxLength: 7 }) },
  { weight: 1, arbitrary: junk },
);
const createBody = (own: number[], foreign: number) => fc.tuple(
  fc.oneof(
    // mostly valid: a fresh externalId and free keysets, so the name and the keyset cap decide
    { weight: 2, arbitrary: fc.record({ externalId: fc.stringMatching(/^[a-zA-Z0-9_-]{20,24}$/), name: nameArb, keysetIds: fc.shuffledSubarray(own, { maxLength: 6 }) }, { requiredKeys: ['externalId', 'name'] }) },
    { weight: 3, arbitrary: fc.record({ externalId: externalIdArb, name: nameArb, keysetIds: keysetIdsArb(own, foreign) }, { requiredKeys: ['externalId', 'name'] }) },
    { weight: 1, arbitrary: fc.record({ externalId: externalIdArb, name: nameArb, keysetIds: keysetIdsArb(own, foreign) }, { requiredKeys: [] }) },
  ),
  fc.oneof({ weight: 5, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('ExternalId', 'keysetids', 'id', 'extra')), junk, { maxKeys: 2 }) }),
).map(([fields, extra]) => ({ ...extra, ...fields }) as unknown);
const numberLiteral = fc.oneof(
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom('1e400', '-1e400', '1.0', '1E0', '-0', '0.5e1', '9007199254740993', '1e-400', '00', '+1', '0x10', 'NaN', 'Infinity'),
);
/** JSON text written by hand: number spellings JSON.stringify never produces (1e400, 7.0, 7e0), broken JSON. */
const rawPayload = (own: number[]) => fc.oneof(
  fc.tuple(fc.stringMatching(/^[a-zA-Z0-9]{1,10}$/), fc.array(fc.oneof(numberLiteral, fc.tuple(fc.constantFrom(...own), fc.constantFrom('', '.0', 'e0', '.000', 'E+0', '0e-1')).map(([id, s]) => `${id}${s}`)), { minLength: 1, maxLength: 3 })).map(([id, nums]) => `{"externalId":"r${id}","name":"n","keysetIds":[${nums.join(',')}]}`),
  fc.tuple(fc.stringMatching(/^[a-zA-Z0-9]{1,10}$/), numberLiteral).map(([id, n]) => `{"externalId":"r${id}","name":${n}}`),
  fc.stringMatching(/^[a-zA-Z0-9]{1,10}$/).map((id) => ` \n{ "name" : "n\\u00e9\\ud83d\\ude00" ,\t"externalId":"r${id}" }\r\n`),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', '   ', 'null', '{', '{"externalId":"a","name":"b",}', '{"__proto__":{},"externalId":"p","name":"n"}', '{"constructor":{"prototype":{}}}', '[]', '"x"'),
);
const jsonCT = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8', 'application/json; charset="utf-8"');
const anyCT = fc.oneof(
  jsonCT,
  fc.constantFrom(undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'text/json', 'application/jsonp', 'application/json-patch+json',
    'application/vnd.api+json', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/json; foo=bar', 'application/json, text/plain', ' application/json'),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
);
const anyVersion = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, '', '2026-02-10', '2026-2-9', '20260209', 'latest', '2026-02-09,2026-03-01', '9999-12-31') },
  { weight: 1, arbitrary: fc.date({ min: new Date('2025-01-01'), max: new Date('2027-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 20 }) },
);

// ---- the check of one request against the oracle ----

interface Sent { payload: string; contentType: string | undefined; version: string | undefined }

async function setup(h: Harness): Promise<{ acc: TestAccount; world: World; own: number[]; foreign: number }> {
  const acc = await h.account();
  const { keysetIds: own } = await h.keysets(acc, 40);
  const { keysetIds: [foreign] } = await h.keysets(await h.account(), 1);
  return { acc, own, foreign: foreign!, world: { usedExternalIds: new Set(), ownKeysets: new Set(own), heldKeysets: new Set() } };
}

async function check(h: Harness, acc: TestAccount, world: World, sent: Sent): Promise<void> {
  if (world.ownKeysets.size - world.heldKeysets.size < 12) { // free the keysets again, so valid claims stay possible
    await h.store.db.deleteFrom('customer_keysets').where('keyset_id', 'in', [...world.heldKeysets]).execute();
    world.heldKeysets.clear();
  }
  const before = [await countRows(h.store, 'customers'), await countRows(h.store, 'customer_keysets')];
  const r = await h.request({
    method: 'POST', url: URL, key: acc.key, payload: sent.payload,
    headers: { 'content-type': sent.contentType, 'pubnub-version': sent.version },
  });
  const after = [await countRows(h.store, 'customers'), await countRows(h.store, 'customer_keysets')];
  const where = `→ ${r.statusCode} ${r.body.slice(0, 300)}`;
  assert.ok(r.statusCode < 500, `never a 5xx ${where}`);
  assert.ok(r.headers['request-id'], 'Request-Id');

  let parsed: unknown;
  let parses = true;
  try { parsed = JSON.parse(sent.payload); } catch { parses = false; }
  const media = mediaOf(sent.contentType);
  const claims = parses && media !== 'not-json' ? validCreate(parsed, world) : undefined;
  let expected: number | number[];
  if (!versionOk(sent.version)) expected = 400;
  else if (media === 'not-json') expected = sent.payload.length === 0 ? [400, 415] : 415;
  else if (media === 'unknown') expected = claims ? [200, 415] : [400, 415];
  else expected = claims ? 200 : 400;
  assert.ok(Array.isArray(expected) ? expected.includes(r.statusCode) : r.statusCode === expected, `expected ${expected} ${where}`);

  if (r.statusCode === 200) {
    const body = parsed as { externalId: string; name: string };
    const { result } = r.json();
    assert.equal(result.externalId, body.externalId);
    assert.equal(result.name, body.name, 'the name comes back exactly as sent');
    assert.deepEqual(result.keysets.map((k: { id: number }) => k.id), claims);
    const row = await h.store.db.selectFrom('customers').select(['name', 'external_id']).where('id', '=', result.id).executeTakeFirstOrThrow();
    assert.equal(row.name, body.name, 'the name is stored exactly as sent');
    assert.equal(row.external_id, body.externalId);
    assert.deepEqual(after, [before[0]! + 1, before[1]! + claims!.length], 'one customer and its assignments written');
    world.usedExternalIds.add(body.externalId);
    for (const k of claims!) world.heldKeysets.add(k);
  } else {
    const env = r.json();
    assert.deepEqual(Object.keys(env).sort(), ['error', 'message', 'statusCode'], `envelope ${where}`);
    assert.equal(env.statusCode, r.statusCode);
    assert.equal(env.error, ERROR_NAMES[r.statusCode] ?? env.error);
    assert.equal(typeof env.error, 'string');
    assert.ok(Array.isArray(env.message) && env.message.length > 0 && env.message.every((m: unknown) => typeof m === 'string' && m.length > 0), `messages ${where}`);
    assert.deepEqual(after, before, `a rejected request writes nothing ${where}`);
  }
}

describeEachStore('create customer, property-based', (h) => {
  test(`random create bodies with random field types (${RUNS} runs)`, async () => {
    const { acc, world, own, foreign } = await setup(h());
    await fc.assert(fc.asyncProperty(createBody(own, foreign), async (body) => {
      await check(h(), acc, world, { payload: JSON.stringify(body), contentType: 'application/json', version: SINCE });
    }), { numRuns: RUNS });
    assert.ok(world.usedExternalIds.size > 0, 'some bodies were valid');
  });

  test(`random JSON values and raw payloads (${RUNS} runs)`, async () => {
    const { acc, world, own } = await setup(h());
    const payload = fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.object().map((v) => JSON.stringify(v)), rawPayload(own));
    await fc.assert(fc.asyncProperty(payload, jsonCT, async (p, contentType) => {
      await check(h(), acc, world, { payload: p, contentType, version: SINCE });
    }), { numRuns: RUNS });
  });

  test(`random content types and PubNub-Version values (${RUNS} runs)`, async () => {
    const { acc, world, own, foreign } = await setup(h());
    const payload = fc.oneof({ weight: 4, arbitrary: createBody(own, foreign).map((b) => JSON.stringify(b)) }, { weight: 1, arbitrary: rawPayload(own) });
    await fc.assert(fc.asyncProperty(payload, anyCT, anyVersion, async (p, contentType, version) => {
      await check(h(), acc, world, { payload: p, contentType, version });
    }), { numRuns: RUNS });
  });

  test('a PubNub-Version padded with whitespace is served as that version, like every other check of the header', async () => {
    const acc = await h().account();
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'padded', name: 'n' }, version: ' 2026-02-09 ' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers['pubnub-version'], '2026-02-09');
  });
});
