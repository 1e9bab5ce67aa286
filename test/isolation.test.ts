// Isolation between partner accounts (CONTRACT §2: another account's resource is indistinguishable
// from a missing one). The cases are generated from the app's own /openapi.json: for every route and
// every slot that carries an id, account A sends account B's id and an id of the same shape that
// exists nowhere, and the two answers must be identical once the id text is a placeholder. A route
// that takes an id the generator cannot classify fails the coverage test, so a new route needs a
// case (or a deliberate exclusion in ID_KINDS). Every answer A gets, plus full listings, is then
// searched for anything of B's, and B's data is compared before and after.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { UsersService } from '../src/users/users.service.js';
import { VERSIONS } from './helpers/assertions.js';
import { describeEachStore, type Harness, type TestAccount } from './helpers/harness.js';

type Kind = 'customer' | 'externalId' | 'keyset' | 'app' | 'prefix';
type Val = string | number;
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Res = Awaited<ReturnType<Harness['request']>>;
/** A coherent set of one account's ids: the customer holds the keyset, which is in the app and has the rotated key `prefix`. */
type Ids = Record<Kind, Val>;
interface Party extends TestAccount { tag: string; base: Ids; all: Record<Kind, Val[]>; secrets: string[]; token: string }
interface Slot { label: string; where: 'path' | 'query' | 'body'; path: string[]; kind: Kind; schema: Json; required: boolean; immutable: boolean }
interface Route { method: string; path: string; legacy: boolean; params: Json[]; body?: Json; slots: Slot[]; unclassified: string[] }

/** Names that carry ids: the kind of stored resource, or null for ids that are not an account's resource. */
const ID_KINDS: Record<string, Kind | null> = {
  customerId: 'customer', externalId: 'externalId', keysetId: 'keyset', keysetIds: 'keyset', appId: 'app', secretKeyPrefix: 'prefix',
  customerUserId: null, // the partner's own end-user id, stored nowhere
  teamId: null, authKeyId: null, // APNs credentials inside a keyset's config
  cursor: null, // an opaque position in the caller's own list, not an id to look up
};
const ID_LIKE = /(id|ids|prefix|cursor)$/i;
const BY_SEGMENT: Record<string, Kind> = { apps: 'app', keysets: 'keyset', customers: 'customer' };
const VERSION = [...VERSIONS].sort().at(-1)!;
const TS = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const JWT = /eyJ[\w-]+\.([\w-]+)\.[\w-]+/g;
const IDEM_BODY = { externalId: 'BRAVO-idem', name: 'BRAVO idem' };
const isIdKey = (k: string) => k !== 'accountId' && (/id$/i.test(k) || k === 'keysetIds');

function parseRoutes(doc: Json): Route[] {
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      if (!op.security) continue; // operations and the login: nothing of an account's
      const r: Route = { method: method.toUpperCase(), path, legacy: path.startsWith('/api/'), params: (op.parameters ?? []).filter((p: Json) => p.in !== 'header'), body: op.requestBody?.content?.['application/json']?.schema, slots: [], unclassified: [] };
      const segments = path.split('/');
      const add = (where: Slot['where'], p: string[], schema: Json, required: boolean, kindHint?: Kind) => {
        const name = p.at(-1)!;
        const kind = kindHint ?? ID_KINDS[name];
        if (kind === null) return;
        if (kind === undefined) return void (ID_LIKE.test(name) && r.unclassified.push(`${where} ${p.join('.')}`));
        r.slots.push({ label: `${where}:${p.join('.')}`, where, path: p, kind, schema, required, immutable: !!schema?.['x-immutable'] });
      };
      for (const p of r.params) add(p.in, [p.name], p.schema, p.in === 'path' || !!p.required, p.name === 'id' ? BY_SEGMENT[segments[segments.indexOf('{id}') - 1]!] : undefined);
      const walk = (schema: Json, p: string[]) => {
        for (const [name, s] of Object.entries<Json>(schema?.properties ?? {})) {
          if (s.type === 'object') walk(s, [...p, name]);
          else add('body', [...p, name], s, (schema.required ?? []).includes(name));
        }
      };
      if (r.body) walk(r.body, []);
      routes.push(r);
    }
  }
  return routes;
}

/** A value of the slot's schema type. */
const fmt = (schema: Json, v: Val): unknown =>
  schema?.type === 'array' ? [fmt(schema.items, v)] : schema?.type === 'integer' ? Number(v) : schema?.anyOf ? fmt(schema.anyOf[0], v) : schema?.type === 'string' ? String(v) : v;

/** A schema-valid value for a field that carries no id. */
function sample(schema: Json, name: string, now: Date): unknown {
  const fixed: Record<string, unknown> = { name: 'ALPHA probe', customerUserId: 'probe-user', expiresAt: new Date(now.getTime() + 86_400_000).toISOString() };
  if (name in fixed) return fixed[name];
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf) return sample(schema.anyOf[0], name, now);
  if (schema.type === 'array') return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sample(schema.items, name, now));
  if (schema.type === 'integer' || schema.type === 'number') return schema.minimum ?? 1;
  if (schema.type === 'boolean') return false;
  if (schema.type === 'object') return {};
  throw new Error(`no sample value for the field ${name}: add one to the isolation test`);
}

/** The request for `route` with `pick(slot)` in each id slot (undefined leaves an optional slot out). */
function build(route: Route, pick: (s: Slot) => Val | undefined, now: Date): { url: string; body?: unknown } {
  const slot = (where: string, p: string[]) => route.slots.find((s) => s.where === where && s.path.join('.') === p.join('.'));
  let url = route.path;
  const query: string[] = [];
  for (const p of route.params) {
    const s = slot(p.in, [p.name]);
    const v = s ? pick(s) : p.required ? sample(p.schema, p.name, now) : undefined;
    if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(String(v)));
    else if (v !== undefined) query.push(`${p.name}=${encodeURIComponent(String(v))}`);
  }
  const object = (schema: Json, p: string[]): Json => {
    const out: Json = {};
    const required: string[] = schema.required ?? [];
    for (const [name, s] of Object.entries<Json>(schema.properties ?? {})) {
      const at = [...p, name];
      const idSlot = slot('body', at);
      if (idSlot) {
        const v = pick(idSlot);
        if (v !== undefined) out[name] = fmt(s, v);
      } else if (s.type === 'object' && required.includes(name)) out[name] = object(s, at);
      else if (required.includes(name) || Object.keys(out).length < (schema.minProperties ?? 0)) out[name] = sample(s, name, now);
    }
    return out;
  };
  return { url: url + (query.length ? `?${query.join('&')}` : ''), ...(route.body ? { body: object(route.body, []) } : {}) };
}

/** The answer with volatile parts (timestamps, fresh UUIDs, cursors, tokens) and the ids A sent replaced by placeholders. */
function normalise(res: Res, subs: [Val, string][]): Json {
  let parsed: Json;
  try { parsed = JSON.parse(res.body); } catch { parsed = res.body; }
  const str = (s: string, key: string) => {
    let out = s.replace(TS, '{{ts}}');
    for (const [v, p] of subs) if (typeof v === 'string') out = out.split(v).join(p);
    out = out.replace(UUID, '{{uuid}}');
    for (const [v, p] of subs) {
      if (typeof v === 'number' && (key === 'message' || isIdKey(key))) out = out.replace(new RegExp(`(?<![\\w-])${v}(?!\\w)`, 'g'), p);
    }
    return out;
  };
  const walk = (x: Json, key: string): Json => {
    if (key === 'next' && typeof x === 'string') return '{{cursor}}';
    if (key === 'accessToken') return '{{jwt}}';
    if (typeof x === 'string') return str(x, key);
    if (typeof x === 'number') return isIdKey(key) ? subs.find(([v]) => v === x)?.[1] ?? x : x;
    if (Array.isArray(x)) return x.map((i) => walk(i, key));
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v, k)]));
    return x;
  };
  return walk(parsed, '');
}

describeEachStore('isolation between partner accounts', (h) => {
  let A: Party;
  let B: Party;
  let routes: Route[];
  let bSnapshot: unknown;
  const seen: { what: string; res: Res; subs: [Val, string][] }[] = []; // every answer A got
  let counter = 0;
  const prefixesInUse = new Set<string>();

  const call = async (who: Party, what: string, method: string, url: string, body?: unknown, subs: [Val, string][] = [], headers: Record<string, string> = {}) => {
    const legacy = url.startsWith('/api/');
    const res = await h().request({ method: method as 'GET', url, body, key: legacy ? undefined : who.key, version: VERSION, headers: legacy ? { 'x-session-token': who.token, 'pubnub-version': undefined, ...headers } : headers });
    if (who === A) seen.push({ what, res, subs });
    return res;
  };
  const ok = async (who: Party, method: string, url: string, body?: unknown) => {
    const r = await call(who, `${method} ${url}`, method, url, body);
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return r.json();
  };

  async function party(tag: string, minNumericId: number): Promise<Party> {
    const acc = await h().account();
    const email = `${tag.toLowerCase()}-${acc.accountId}@example.com`;
    await new UsersService(h().store, h().clock).createUser({ accountId: acc.accountId, email, password: 'correct horse battery' });
    const login = await h().request({ method: 'POST', url: '/api/me', body: { email, password: 'correct horse battery' }, headers: { 'pubnub-version': undefined } });
    const p: Party = { ...acc, tag, token: login.json().result.token, base: {} as Ids, all: { customer: [], externalId: [], keyset: [], app: [], prefix: [] }, secrets: [acc.key, login.json().result.token] };
    const app = async (name: string) => Number((await ok(p, 'POST', '/v2/apps', { name })).id);
    // B's app ids must differ from every id of A's (apps and keysets number separately), so an id
    // field in A's answers can be told apart: fillers push the sequence past A's numbers, then go.
    const fillers: number[] = [];
    while (fillers.length === 0 || fillers.at(-1)! < minNumericId) fillers.push(await app(`${tag} filler`));
    const apps = [await app(`${tag} app 1`), await app(`${tag} app 2`)];
    for (const f of fillers) await ok(p, 'DELETE', `/v2/apps/${f}`);
    p.all.app.push(...apps);
    for (const [i, appId] of [apps[0], apps[0], apps[0], apps[1]].entries()) {
      const k = (await ok(p, 'POST', '/v2/keysets', { keyset: { name: `${tag} keyset ${i}`, appId: String(appId), type: 'testing' } })).keyset;
      p.all.keyset.push(Number(k.id));
      p.secrets.push(k.publishKey, k.subscribeKey, k.secretKeys[0].secretKey);
    }
    const [k0, k1, k2, k3] = p.all.keyset as number[];
    const expiresAt = (days: number) => new Date(h().clock.now().getTime() + days * 86_400_000).toISOString();
    for (const days of [2, 3]) p.secrets.push((await ok(p, 'POST', `/v2/keysets/${k0}/secret-keys`, { expiresAt: expiresAt(days) })).secretKey);
    p.secrets.push((await ok(p, 'POST', `/v2/keysets/${k1}/secret-keys`, {})).secretKey); // replaced at once
    for (const k of p.all.keyset) {
      for (const s of (await ok(p, 'GET', `/v2/keysets/${k}/secret-keys`)).secretKeys) { p.all.prefix.push(s.secretKey); prefixesInUse.add(s.secretKey); }
    }
    const customer = async (n: number, keysetIds: number[]) => {
      const c = (await ok(p, 'POST', '/v2/oem/customers', { externalId: `${tag}-ext-${n}`, name: `${tag} customer ${n}`, keysetIds })).result;
      return (p.all.customer.push(c.id), p.all.externalId.push(c.externalId), c.id as string);
    };
    const c0 = await customer(1, [k0!, k3!]);
    await customer(2, [k1!]);
    await customer(3, []);
    await ok(p, 'DELETE', `/v2/oem/customers/${await customer(4, [k2!])}`); // gone: its ids must read as missing too
    const rotated = (await ok(p, 'GET', `/v2/keysets/${k0}/secret-keys`)).secretKeys.find((s: Json) => s.expiresAt !== null).secretKey;
    p.base = { customer: c0, externalId: `${tag}-ext-1`, keyset: k0!, app: apps[0]!, prefix: rotated };
    return p;
  }

  const nowhere = (kind: Kind): Val => {
    counter += 1;
    if (kind === 'customer') return randomUUID();
    if (kind === 'externalId') return `nx-${randomBytes(6).toString('hex')}`;
    for (let p = ''; kind === 'prefix'; p = `sec-c-${randomBytes(8).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 5)}`) {
      if (p.length === 11 && !prefixesInUse.has(p)) return p;
    }
    return 900_000_000_000 + counter;
  };

  /** B's data as B sees it. */
  async function snapshot() {
    const get = async (url: string) => { const r = await call(B, 'snapshot', 'GET', url); return { status: r.statusCode, body: r.json(), etag: r.headers.etag }; };
    const out: Json = { apps: await get('/v2/apps?limit=100'), keysets: await get('/v2/keysets?limit=100'), customers: await get('/v2/oem/customers') };
    for (const k of B.all.keyset) for (const s of ['', '/config', '/secret-keys']) out[`k${k}${s}`] = await get(`/v2/keysets/${k}${s}`);
    for (const a of B.all.app) out[`a${a}`] = await get(`/v2/apps/${a}`);
    for (const c of B.all.customer) {
      for (const s of ['', '/applications']) out[`c${c}${s}`] = await get(`/v2/oem/customers/${c}${s}`);
      out[`ck${c}`] = await get(`/v2/oem/keysets?customerId=${c}`);
    }
    return out;
  }

  before(async () => {
    A = await party('ALPHA', 0);
    B = await party('BRAVO', Math.max(...A.all.keyset.map(Number), ...A.all.app.map(Number)));
    // B has used an Idempotency-Key that A will send with the very same request.
    const idem = await call(B, 'B idem', 'POST', '/v2/oem/customers', IDEM_BODY, [], { 'idempotency-key': 'iso-shared-key' });
    B.all.customer.push(idem.json().result.id);
    B.all.externalId.push(IDEM_BODY.externalId);
    routes = parseRoutes((await h().request({ method: 'GET', url: '/openapi.json' })).json());
    bSnapshot = await snapshot();
  });

  test('every route that takes an id has isolation cases, under /v2 and /api', () => {
    assert.deepEqual(routes.flatMap((r) => r.unclassified.map((u) => `${r.method} ${r.path}: ${u}`)), [], 'id-carrying slots with no isolation case');
    for (const r of routes) {
      if (/\{/.test(r.path)) assert.ok(r.slots.some((s) => s.where === 'path'), `${r.method} ${r.path} takes an id in its path but got no case`);
    }
    assert.ok(routes.some((r) => r.legacy && r.slots.length > 0) && routes.some((r) => !r.legacy && r.slots.length > 0));
  });

  test('another account\'s ids are answered exactly as ids that exist nowhere', async (t) => {
    const now = h().clock.now();
    let pairs = 0;
    const differences: string[] = [];
    const unlooked: string[] = [];
    /** Sends `pick` with B's values and with values of the same shape that exist nowhere; both answers must match. */
    const pair = async (route: Route, what: string, bValue: (s: Slot) => Val | undefined, involved: Slot[]) => {
      const fresh = new Map(involved.map((s) => [s, nowhere(s.kind)]));
      const answers: Json[] = [];
      for (const [variant, pick] of [['B', bValue], ['nowhere', (s: Slot) => (fresh.has(s) ? fresh.get(s) : bValue(s))]] as const) {
        const { url, body } = build(route, pick, now);
        const subs = involved.map((s): [Val, string] => [pick(s)!, `{{${s.label}}}`]).sort((x, y) => String(y[0]).length - String(x[0]).length);
        const res = await call(A, `${what} [${variant}]`, route.method, url, body, subs);
        answers.push({ status: res.statusCode, body: normalise(res, subs) });
        const created = res.statusCode < 300 && route.method === 'POST' && !/\{/.test(route.path) ? (res.json().result?.id ?? res.json().keyset?.id ?? res.json().id) : undefined;
        if (created !== undefined) await ok(A, 'DELETE', `${route.path}/${created}`); // A's own create (with B's externalId): undone
      }
      pairs += 1;
      const [b, n] = answers;
      if (JSON.stringify(b) !== JSON.stringify(n)) differences.push(`${what}\n  B's id:   ${JSON.stringify(b)}\n  nowhere:  ${JSON.stringify(n)}`);
      // The id was looked up: a success, a 404, or a problem that names it (a schema refusal tests nothing).
      const looked = n.status < 300 || n.status === 404 || /\{\{(path|query|body):/.test(JSON.stringify(n.body)) || involved.every((s) => s.immutable);
      if (!looked) unlooked.push(`${what}: ${JSON.stringify(n)}`);
    };
    for (const route of routes.filter((r) => r.slots.length > 0)) {
      const name = `${route.method} ${route.path}`;
      const baseA = (s: Slot) => (s.required ? A.base[s.kind] : undefined);
      for (const slot of route.slots) {
        for (const v of B.all[slot.kind]) await pair(route, `${name} ${slot.label}=B:${v}`, (s) => (s === slot ? v : baseA(s)), [slot]);
      }
      // Every slot at once with a coherent set of B's (its customer, a keyset it holds, that keyset's
      // app and rotated key); an immutable field would only make the body fail its schema.
      const all = route.slots.filter((s) => !s.immutable);
      if (all.length > 1) await pair(route, `${name} all of B's`, (s) => (all.includes(s) ? B.base[s.kind] : undefined), all);
    }
    t.diagnostic(`${routes.length} routes, ${routes.filter((r) => r.slots.length).length} with id slots, ${routes.reduce((n, r) => n + r.slots.length, 0)} slots, ${pairs} pairs`);
    assert.deepEqual(unlooked, [], 'cases refused before the store looked the id up test nothing');
    assert.deepEqual(differences, [], `B's ids answered differently from missing ones:\n${differences.join('\n')}`);
  });

  test('B\'s Idempotency-Key is a fresh key for A', async () => {
    const subs: [Val, string][] = [['BRAVO-idem', '{{ext}}'], ['BRAVO idem', '{{name}}']];
    const answers: Json[] = [];
    for (const key of ['iso-shared-key', `iso-${randomUUID()}`]) {
      const r = await call(A, `POST /v2/oem/customers Idempotency-Key ${key}`, 'POST', '/v2/oem/customers', IDEM_BODY, subs, { 'idempotency-key': key });
      answers.push({ status: r.statusCode, replayed: r.headers['idempotent-replayed'] ?? null, body: normalise(r, subs) });
      if (r.statusCode < 300) await ok(A, 'DELETE', `/v2/oem/customers/${r.json().result.id}`);
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.equal(answers[1].status, 200);
  });

  test('A\'s full listings, streamed and paged, under /v2 and /api', async () => {
    const apps = (await ok(A, 'GET', '/v2/apps?limit=100')).apps.map((a: Json) => a.id);
    const keysets = (await ok(A, 'GET', '/v2/keysets?limit=100')).keysets.map((k: Json) => k.id);
    assert.deepEqual([apps.length, keysets.length], [A.all.app.length, A.all.keyset.length]);
    for (const [list, total] of [['apps', apps.length], ['keysets', keysets.length]] as const) {
      for (let page = 1; page <= total + 1; page++) await ok(A, 'GET', `/v2/${list}?limit=1&page=${page}`);
    }
    for (const a of apps) for (const url of [`/v2/apps/${a}`, `/v2/keysets?appId=${a}`]) await ok(A, 'GET', url);
    for (const k of keysets) {
      for (const s of ['', '/config', '/secret-keys', '/secret-keys?activeOnly=true']) await ok(A, 'GET', `/v2/keysets/${k}${s}`);
    }
    for (const mount of ['/v2', '/api']) {
      const customers = (await ok(A, 'GET', `${mount}/oem/customers`)).result;
      assert.deepEqual(customers.map((c: Json) => c.id).sort(), A.all.customer.slice(0, 3).sort());
      for (let next: string | null = null, first = true; first || next; first = false) {
        next = (await ok(A, 'GET', `${mount}/oem/customers?limit=1${next ? `&cursor=${encodeURIComponent(next)}` : ''}`)).next;
      }
      // B's cursor is only a position (created, id): A gets its own customers after it, nothing of B's.
      await ok(A, 'GET', `${mount}/oem/customers?limit=5&cursor=${(await call(B, 'B page', 'GET', '/v2/oem/customers?limit=1')).json().next}`);
      for (const a of apps) await ok(A, 'GET', `${mount}/oem/customers?appId=${a}`);
      for (const c of customers) {
        await ok(A, 'GET', `${mount}/oem/customers?externalId=${c.externalId}`);
        for (const url of [`/oem/customers/${c.id}`, `/oem/customers/${c.id}/applications`, `/oem/keysets?customerId=${c.id}`]) await ok(A, 'GET', mount + url);
      }
      for (const k of keysets) await call(A, `GET ${mount}/oem/keysets/${k}/customer`, 'GET', `${mount}/oem/keysets/${k}/customer`);
      for (const appId of apps) {
        await ok(A, 'POST', `${mount}/oem/access-token`, { externalId: A.base.externalId, appId: Number(appId), customerUserId: 'u1', permissions: ['dashboard:read'] });
      }
    }
  });

  test('nothing of B\'s appears in any answer A got', (t) => {
    const bNumbers = new Set([...B.all.app, ...B.all.keyset].map(Number));
    const aNumbers = [...A.all.app, ...A.all.keyset].map(Number);
    assert.ok(aNumbers.every((n) => !bNumbers.has(n)), 'B\'s numeric ids are told apart from A\'s');
    const strings = [...B.all.customer, ...B.all.externalId, ...B.all.prefix, ...B.secrets].map(String);
    const leaks: string[] = [];
    const structured = (x: Json, key: string, where: string) => {
      if (Array.isArray(x)) return x.forEach((i) => structured(i, key, where));
      if (x && typeof x === 'object') return Object.entries(x).forEach(([k, v]) => structured(v, k, where));
      if (key === 'accountId' && x === B.accountId) leaks.push(`${where}: B's accountId`);
      if (isIdKey(key) && (typeof x === 'number' || /^\d+$/.test(String(x))) && bNumbers.has(Number(x))) leaks.push(`${where}: B's id ${x} in ${key}`);
      if (key === 'message' && typeof x === 'string') {
        for (const m of x.matchAll(/\b(?:app|keyset)s? (\d+)/g)) if (bNumbers.has(Number(m[1]))) leaks.push(`${where}: B's id in "${x}"`);
      }
    };
    for (const { what, res, subs } of seen) {
      const body = normalise(res, subs);
      // What a token's claims and a cursor carry is looked at decoded.
      const claims = [...res.body.matchAll(JWT)].map((m) => JSON.parse(Buffer.from(m[1]!, 'base64url').toString()));
      const cursors = [...res.body.matchAll(/"next":"([\w-]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64url').toString());
      const text = JSON.stringify([body, claims, cursors, res.headers]);
      if (/bravo/i.test(text)) leaks.push(`${what}: B's name or externalId: ${text.slice(0, 300)}`);
      for (const s of strings) if (text.includes(s)) leaks.push(`${what}: ${s}`);
      structured([body, claims], '', what);
    }
    t.diagnostic(`${seen.length} answers to A searched`);
    assert.ok(seen.length > 300, `only ${seen.length} answers were collected`);
    assert.deepEqual(leaks, []);
  });

  test('B\'s customers, keysets, apps and secret keys are untouched', async () => {
    assert.deepEqual(await snapshot(), bSnapshot);
  });
});
