// Generators for test/routes.property.test.ts: requests for any route, built from the route's
// OpenAPI description (path and query parameters, body schema) with the live data of an account.
// Values that name live data (an app id, a customer's ETag…) are generated as a Pick and resolved
// when the case runs, since the data changes as earlier cases succeed. Also the store snapshot the
// test compares before and after each case, and the lists of live data Picks choose from.
import fc from 'fast-check';
import { sql } from 'kysely';
import type { Harness } from './harness.js';

export interface Schema {
  type?: string; properties?: Record<string, Schema>; required?: string[]; items?: Schema; anyOf?: Schema[];
  enum?: unknown[]; not?: Schema; pattern?: string; minLength?: number; maxLength?: number;
  minimum?: number; maximum?: number; minItems?: number; maxItems?: number; minProperties?: number;
}
export interface QueryParam { name: string; required: boolean; schema: Schema }

export type PickKind =
  | 'app' | 'keyset' | 'freeKeyset' | 'customer' | 'externalId' | 'heldCustomer' | 'heldKeyset' | 'heldExternalId' | 'heldApp'
  | 'secretKeyset' | 'secretPrefix' | 'etag' | 'cursor' | 'email' | 'password'
  | 'foreignApp' | 'foreignKeyset' | 'foreignCustomer' | 'foreignPrefix';
/** A value of the live data: the i-th entry (modulo) of a list; kinds that form pairs share i. */
export class Pick {
  constructor(readonly kind: PickKind, readonly i: number, readonly asString = false) {}
}
/** A path parameter put in the URL exactly as is (percent-encoded junk), not encoded. */
export class Raw {
  constructor(readonly text: string) {}
}

/** Percent-encodes every code unit, lone surrogates as WTF-8 bytes (encodeURIComponent throws on them). */
export function enc(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c >= 0xd800 && c <= 0xdfff
      ? [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)].map((b) => `%${b.toString(16).toUpperCase()}`).join('')
      : encodeURIComponent(ch);
  }
  return out;
}

const nest = (depth: number, array: boolean): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = array ? [v] : { a: v };
  return v;
};

// ---- junk ----

/** Characters an HTTP header can carry (latin-1, no controls but tab). */
export const headerText = (maxLength = 40) =>
  fc.string({ unit: fc.integer({ min: 0x1f, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c === 0x1f ? 9 : c)), maxLength });
export const weirdString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('😀', '𝔘', '𠀀', '\u{10FFFF}', 'e\u0301', '\u200d'), minLength: 1, maxLength: 300 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => `x${String.fromCharCode(c)}y`) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ufeff', '\u202e', '\r\n', '<script>', "' OR 1=1 --", '%00', '../..', '__proto__', 'null') },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 254, max: 257 }), fc.constantFrom('x', '😀', 'é')).map(([n, c]) => c.repeat(n)) }, // 255 code points
  { weight: 1, arbitrary: fc.constantFrom(1025, 100_000).map((n) => 'y'.repeat(n)) },
);
export const weirdNumber = fc.oneof(
  fc.integer(), fc.double(),
  fc.constantFrom(0, -0, -1, 1.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, 1e300, -1e300, Number.MIN_VALUE, Number.MAX_VALUE),
);
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: weirdNumber },
  { weight: 4, arbitrary: weirdString },
  { weight: 1, arbitrary: fc.oneof(fc.boolean(), fc.constant(null), fc.constant({}), fc.constant([])) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.array(weirdNumber, { minLength: 55, maxLength: 70 }) }, // over 50 problems
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 50, max: 1000 }), fc.boolean()).map(([d, a]) => nest(d, a)) },
);

/** Bodies that are not the JSON of a value: broken JSON, odd bytes, odd sizes. */
export const rawPayload: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)) },
  { weight: 3, arbitrary: fc.constantFrom('', ' ', 'null', '{', '}', '[1,]', '{"a":1,}', '{"name":"x"}garbage', '\ufeff{}', "{'name':'x'}",
    'NaN', '1e400', '{"name":1e400}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}',
    '{"name":"a","name":"b"}', '"\\ud800"', '{"name":"\\u0000"}', '{"name":"\\ud83d"}', '{"keysetIds":[1.0,1e0,-0]}') },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from('{"name":"\xc3\x28"}', 'latin1'), Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
    Buffer.from('{"name":"\xed\xa0\x80"}', 'latin1'), Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00])) },
  { weight: 1, arbitrary: fc.constantFrom(1000, 100_000).map((n) => '['.repeat(n) + ']'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 20 - 16, 2 ** 20 + 1, 3 * 2 ** 20).map((n) => `{"name":"${'x'.repeat(n)}"}`) },
);

/** Number literals JSON.stringify never writes, to put in place of a number of a valid body. */
export const numberLiteral = fc.constantFrom('1e400', '-1e400', '1.0', '1E0', '-0', '0.5e1', '9007199254740993', '1e-400', '1.5', '-1', '0', '100000000000000000000');
/** A cursor that decodes like the server's own: [created, id] in base64url JSON. */
export const cursorLike = fc.tuple(fc.oneof(fc.constantFrom('9999-99-99T99:99:99.999Z', '0000-00-00T00:00:00.000Z', '2026-01-01T00:00:00.000Z'), weirdString),
  fc.oneof(fc.uuid(), weirdString, fc.constant(null))).map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'));

export const jsonType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=latin1', 'application/json; charset="utf-8"');
export const oddType = fc.oneof(
  fc.constantFrom('', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json',
    'application/jsonp', 'application/json-patch+json', 'application/vnd.api+json', 'application/json, text/plain', ' application/json',
    'application/json; foo', 'application/octet-stream', '*/*'),
  headerText(30),
);

// ---- values from a schema ----

export type Hints = (name: string, schema: Schema) => fc.Arbitrary<unknown> | undefined;

/** A value the schema accepts (up to rules that need the store), with hints for fields that name live data. */
export function valid(s: Schema, hints: Hints, name = ''): fc.Arbitrary<unknown> {
  const hinted = hints(name, s);
  if (hinted) return hinted;
  if (s.anyOf) {
    const { anyOf, ...rest } = s;
    const branches = anyOf.filter((b) => !b.not).map((b) => valid({ ...rest, ...b }, hints, name));
    return fc.oneof(...branches);
  }
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'object': {
      const props = Object.entries(s.properties ?? {}).filter(([k, p]) => p.type || p.anyOf || p.enum || s.required?.includes(k));
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, p] of props) record[k] = valid(p, hints, k);
      if (s.required?.length || props.length <= 2) return fc.record(record, { requiredKeys: s.required ?? [] });
      // All optional (a config patch): one or two of them, as a client sends, so store rules pass now and then.
      return fc.subarray(props.map(([k]) => k), { minLength: Math.max(1, s.minProperties ?? 0), maxLength: 2 })
        .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, record[k]!]))));
    }
    case 'array': return fc.array(valid(s.items ?? {}, hints, name), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3)) });
    case 'string': return s.pattern
      ? fc.stringMatching(new RegExp(s.pattern))
      : fc.string({ minLength: s.minLength ?? 0, maxLength: Math.max(s.minLength ?? 0, Math.min(s.maxLength ?? 30, 30)) });
    case 'integer': return fc.integer({ min: s.minimum ?? -1000, max: Math.min(s.maximum ?? 1000, 1e6) });
    case 'number': return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true });
    case 'boolean': return fc.boolean();
    case 'null': return fc.constant(null);
    default: return fc.jsonValue({ maxDepth: 1 });
  }
}

/** Every path into a value (objects and arrays are walked; a Pick is a leaf). */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (v && typeof v === 'object' && !(v instanceof Pick)) for (const [k, c] of Object.entries(v)) paths(c, [...at, Array.isArray(v) ? Number(k) : k], out);
  return out;
}
type Node = Record<string | number, unknown>;
const isObject = (v: unknown): v is Node => !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Pick);
const clone = (v: unknown): unknown => (v instanceof Pick ? v : Array.isArray(v) ? v.map(clone)
  : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)])) : v);
const at = (v: unknown, p: (string | number)[]) => p.reduce<unknown>((node, k) => (node as Node)[k], v);
const define = (o: Node, key: string, value: unknown) => Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });

/** A valid value with one thing wrong: a field replaced by junk, removed, or an extra property. */
export function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const extraKey = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'ExternalId', 'id', 'keysetids', 'extra'));
  return fc.tuple(base, fc.nat(), fc.constantFrom('replace', 'replace', 'replace', 'delete', 'extra'), junk, extraKey).map(([v, n, how, j, key]) => {
    const root = clone(v);
    if (how === 'extra') {
      const objects = paths(root).filter((p) => isObject(at(root, p)));
      if (objects.length === 0) return { [key]: j };
      define(at(root, objects[n % objects.length]!) as Node, key, j);
      return root;
    }
    const all = paths(root);
    const p = all[n % all.length]!;
    if (p.length === 0) return how === 'replace' ? j : undefined;
    const parent = at(root, p.slice(0, -1)) as Node | unknown[];
    const k = p[p.length - 1]!;
    if (how === 'replace') (parent as Node)[k] = j;
    else if (Array.isArray(parent)) parent.splice(Number(k), 1);
    else delete parent[k];
    return root;
  });
}

/** Replaces every Pick by its live value. */
export function resolve(v: unknown, pick: (p: Pick) => string | number): unknown {
  if (v instanceof Pick) return pick(v);
  if (Array.isArray(v)) return v.map((x) => resolve(x, pick));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: resolve(x, pick), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

// ---- path parameters and query strings ----

const FOREIGN: Partial<Record<PickKind, PickKind>> = {
  app: 'foreignApp', keyset: 'foreignKeyset', heldKeyset: 'foreignKeyset', secretKeyset: 'foreignKeyset',
  customer: 'foreignCustomer', heldCustomer: 'foreignCustomer', secretPrefix: 'foreignPrefix',
};
export const pathJunk = fc.oneof(
  weirdString,
  fc.constantFrom('0', '-1', '01', '1.5', '1e3', ' 1', '+1', '0x1', '9007199254740993', '1'.repeat(16), '9'.repeat(513), 'undefined', '.', '..', '*'),
);
export const rawPathJunk = fc.oneof(
  fc.constantFrom('%', '%zz', '%00', '%ED%A0%80', '%C0%AF', '%FF', '%2F', '%2e%2e', '..%2f..%2fhealthz', '%25', '%u0041', '1%00', '1;a=b'),
  fc.stringMatching(/^(%[0-9A-Fa-f]{2}){1,8}$/),
);

/** One path parameter: usually live data of the caller (kind, sharing the index of its pair), else anything. */
export function pathParam(kind: PickKind, index: number): fc.Arbitrary<Pick | Raw | string> {
  const numeric = !kind.toLowerCase().includes('customer') && kind !== 'secretPrefix';
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(new Pick(kind, index, true)) },
    { weight: 1, arbitrary: fc.nat().map((i) => new Pick(FOREIGN[kind] ?? kind, i, true)) },
    { weight: 1, arbitrary: numeric ? fc.integer({ min: 1e6, max: 999_999_999_999_999 }).map(String) : kind === 'secretPrefix' ? fc.stringMatching(/^sec-c-[A-Za-z0-9]{5}$/) : fc.uuid() },
    { weight: 2, arbitrary: pathJunk },
    { weight: 1, arbitrary: rawPathJunk.map((s) => new Raw(s)) },
  );
}

/** A query string as tokens (encoded text, or a Pick to encode when the case runs): the route's parameters (valid, odd or missing), unknown ones, repeats, raw junk. */
export function queryString(params: QueryParam[], hints: Hints, wild: boolean): fc.Arbitrary<(string | Pick)[]> {
  const ok = (p: QueryParam) => valid(p.schema, hints, p.name).map((v) => (v instanceof Pick ? v : enc(String(v))));
  const value = (p: QueryParam) => !wild ? ok(p) : fc.oneof(
    { weight: 3, arbitrary: ok(p) },
    { weight: 1, arbitrary: fc.constantFrom('', '0', '-1', '0x2', '1e1', '%202', '2%20', '1001', '99999999999999999999', 'true', 'TRUE', '1', 'null') },
    { weight: 1, arbitrary: weirdString.map(enc) },
  );
  const own = fc.tuple(...params.map((p) => fc.option(fc.tuple(fc.constant(p.name), value(p)), { freq: p.required ? 10 : 2 })));
  const unknown = fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...params.map((p) => p.name), 'page', '__proto__', 'a[b]')), weirdString.map(enc)), { maxLength: 3 });
  const raw = fc.oneof(fc.constantFrom('&&', '=', '%', '=x', 'a=%zz', '&a', 'a=1=2', '#x', '?', 'constructor[prototype][x]=1', 'limit=1&limit=2'),
    fc.constantFrom(10_000, 100_000).map((n) => `q=${'x'.repeat(n)}`));
  return fc.tuple(
    params.length ? own : fc.constant([] as ([string, string | Pick] | null)[]),
    wild ? fc.oneof({ weight: 1, arbitrary: fc.constant([] as [string, string][]) }, { weight: 2, arbitrary: unknown }) : fc.constant([] as [string, string][]),
    wild ? fc.option(raw, { freq: 3 }) : fc.constant(null),
  ).map(([mine, extra, tail]) => {
    const tokens: (string | Pick)[] = [];
    for (const [k, v] of [...mine.filter((x) => x !== null), ...extra] as [string, string | Pick][]) tokens.push(tokens.length ? '&' : '', `${enc(k)}=`, v);
    if (tail) tokens.push(tokens.length ? '&' : '', tail);
    return tokens;
  });
}

// ---- the live data ----

/** What Picks choose from: the live data of the two accounts, as the last snapshot shows it. */
export type Lists = Record<PickKind, (string | number)[]> & { foreignFree: number[] };
export function listsOf(s: Snapshot, tables: Table[], own: number, foreign: number, seen: { etags: string[]; cursors: string[]; emails: string[]; password: string }): Lists {
  const rows = (t: string) => rowsOf(s, tables.find((x) => x.name === t));
  const of = (acc: number) => (r: Row | undefined) => Number(r?.account_id) === acc;
  const [apps, keysets, customers, held, secrets] = ['apps', 'keysets', 'customers', 'customer_keysets', 'secret_keys'].map(rows) as Row[][];
  const keyset = new Map(keysets!.map((k) => [Number(k.id), k]));
  const customer = new Map(customers!.map((c) => [String(c.id), c]));
  const heldIds = new Set(held!.map((r) => Number(r.keyset_id)));
  const ids = (list: Row[], acc: number) => list.filter(of(acc)).map((r) => Number(r.id));
  const mineHeld = held!.filter((r) => of(own)(customer.get(String(r.customer_id))));
  const mineSecrets = secrets!.filter((r) => r.prefix && of(own)(keyset.get(Number(r.keyset_id))));
  return {
    app: ids(apps!, own), keyset: ids(keysets!, own), freeKeyset: ids(keysets!, own).filter((k) => !heldIds.has(k)),
    customer: customers!.filter(of(own)).map((c) => String(c.id)), externalId: customers!.filter(of(own)).map((c) => String(c.external_id)),
    heldCustomer: mineHeld.map((r) => String(r.customer_id)), heldKeyset: mineHeld.map((r) => Number(r.keyset_id)),
    heldExternalId: mineHeld.map((r) => String(customer.get(String(r.customer_id))!.external_id)), heldApp: mineHeld.map((r) => Number(keyset.get(Number(r.keyset_id))?.app_id)),
    secretKeyset: mineSecrets.map((r) => Number(r.keyset_id)), secretPrefix: mineSecrets.map((r) => String(r.prefix)),
    etag: seen.etags, cursor: seen.cursors, email: seen.emails, password: seen.emails.map(() => seen.password),
    foreignApp: ids(apps!, foreign), foreignKeyset: ids(keysets!, foreign), foreignCustomer: customers!.filter(of(foreign)).map((c) => String(c.id)),
    foreignPrefix: secrets!.filter((r) => r.prefix && of(foreign)(keyset.get(Number(r.keyset_id)))).map((r) => String(r.prefix)),
    foreignFree: ids(keysets!, foreign).filter((k) => !heldIds.has(k)),
  };
}
export const MISSING = (kind: PickKind) => (/ustomer/.test(kind) ? '00000000-0000-4000-8000-000000000000' : /refix/.test(kind) ? 'sec-c-zzzzz' : kind === 'etag' ? '"none"' : kind === 'cursor' ? 'none' : kind === 'email' ? 'nobody@example.com' : 999_999_999_999);

// ---- the store: every table, read in one query ----

export type Row = Record<string, unknown>;
export interface Table { name: string; columns: string[] }
/** Each table's rows ordered by all columns, as JSON text (one query for all tables). */
export interface Snapshot { text: Record<string, string> }

export async function tablesOf(h: Harness): Promise<{ tables: Table[]; query: ReturnType<typeof sql.raw> }> {
  const meta = await h.store.db.introspection.getTables({ withInternalKyselyTables: true });
  const tables = meta.filter((t) => !t.isView && (h.store.dialect === 'sqlite' || t.schema === h.store.schema))
    .map((t) => ({ name: t.name, columns: t.columns.map((c) => c.name) })).sort((a, b) => a.name.localeCompare(b.name));
  const q = (id: string) => `"${id.replaceAll('"', '""')}"`;
  const select = tables.map(({ name, columns }, i) => {
    const cols = columns.map(q).join(', ');
    return h.store.dialect === 'sqlite'
      ? `(select coalesce(json_group_array(json_array(${cols})), '[]') from (select * from ${q(name)} order by ${cols})) as t${i}`
      : `(select coalesce(json_agg(json_build_array(${cols}) order by ${cols}), '[]')::text from ${q(name)}) as t${i}`;
  });
  return { tables, query: sql.raw(`select ${select.join(', ')}`) };
}
export async function snapshot(h: Harness, store: Awaited<ReturnType<typeof tablesOf>>): Promise<Snapshot> {
  const row = (await store.query.execute(h.store.db)).rows[0] as Record<string, string>;
  return { text: Object.fromEntries(store.tables.map((t, i) => [t.name, String(row[`t${i}`])])) };
}
export function changes(before: Snapshot, after: Snapshot, skip: string | undefined): string[] {
  return Object.keys(after.text).filter((t) => t !== skip && after.text[t] !== before.text[t]).map((t) => {
    const [b, a] = [before, after].map((s) => new Set((JSON.parse(s.text[t]!) as unknown[]).map((r) => JSON.stringify(r))));
    const gone = [...b!].filter((l) => !a!.has(l)).slice(0, 3).map((l) => `- ${l.slice(0, 300)}`);
    const added = [...a!].filter((l) => !b!.has(l)).slice(0, 3).map((l) => `+ ${l.slice(0, 300)}`);
    return [`table ${t} changed`, ...gone, ...added].join('\n    ');
  });
}
export const rowsOf = (s: Snapshot, t: Table | undefined): Row[] =>
  t ? (JSON.parse(s.text[t.name] ?? '[]') as unknown[][]).map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]]))) : [];
