// Property-based tests over every route (fast-check): random bodies, types, sizes, unicode, headers,
// query strings and path parameters, on accounts with real data (apps, keysets, customers holding
// keysets, a user with a session). For every case: never a 5xx; every error (status ≥ 400) is the
// envelope { statusCode: <the status>, error, message: [at least one string] }; a request answered
// with anything but a 2xx leaves every table of the store exactly as it was (every table is read
// before and after, its rows ordered by all columns, and compared); /healthz answers 200 afterwards.
//
// The routes come from the app itself (printRoutes lists every method and path, hidden ones too;
// /openapi.json gives their query parameters, body schemas and since-versions), so a new route is
// covered without editing this file, and a route that ran no case fails the test.
// Idempotency-Key is sent on some POSTs; on those cases only, idempotency_keys is left out of the
// comparison and may gain one row (a 4xx is kept by design: README, "Idempotency"). Without the
// header it is compared like every other table. The harness app has no rate limits (buildApp is
// given no rate-limit settings); a 429 fails the test, since it would swamp the cases.
// Size: PROPERTY_RUNS cases per route (default 50; HEAD, /docs and the operational routes a
// quarter), times TEST_SCALE; PROPERTY_SEED replays a run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PERMISSIONS } from '../src/accounts/permissions.js';
import { errorNameFor } from '../src/errors.js';
import { KNOWN_VERSIONS } from '../src/http/versions.js';
import { UsersService } from '../src/users/users.service.js';
import { describeEachStore, type Harness, type TestAccount } from './helpers/harness.js';
import {
  changes, cursorLike, enc, headerText, jsonType, junk, listsOf, MISSING, mutated, numberLiteral, oddType, pathJunk, pathParam, Pick, queryString, Raw,
  rawPathJunk, rawPayload, resolve, snapshot, tablesOf, valid, type Hints, type PickKind, type QueryParam, type Row, type Schema, type Snapshot,
} from './helpers/route-cases.js';
import { scaled } from './helpers/scale.js';

const RUNS = scaled(Number(process.env.PROPERTY_RUNS ?? 50));
const LIGHT = Math.max(3, Math.ceil(RUNS / 4));
const SEED = process.env.PROPERTY_SEED ? { seed: Number(process.env.PROPERTY_SEED) } : {};
const PASSWORD = 'correct horse battery';

// ---- the routes ----

interface Route {
  key: string; method: string; path: string; params: string[]; query: QueryParam[];
  body?: Schema; since?: string; ifMatch: boolean; area: 'v2' | 'legacy' | 'login' | 'ops' | 'unknown'; near?: string[];
}
interface Operation { parameters?: { in: string; name: string; required?: boolean; schema: Schema }[]; requestBody?: { content: Record<string, { schema: Schema }> }; 'x-since'?: string }

async function discoverRoutes(h: Harness): Promise<Route[]> {
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> };
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of h.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    stack.length = m[1]!.length / 4;
    stack.push(m[2]!);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) {
      const op = doc.paths[path]?.[method === 'HEAD' ? 'get' : method.toLowerCase()];
      const area = path.startsWith('/v2/') ? 'v2' : path.startsWith('/api/oem/') ? 'legacy' : path === '/api/me' ? 'login' : 'ops';
      routes.push({
        key: `${method} ${path}`, method, path, area,
        params: [...path.matchAll(/\{(\w+)\}|\*/g)].map((x) => x[1] ?? '*'),
        query: (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: !!p.required, schema: p.schema })),
        body: op?.requestBody?.content['application/json']?.schema,
        since: op?.['x-since'],
        ifMatch: !!op?.parameters?.some((p) => p.in === 'header' && p.name === 'if-match'),
      });
    }
  }
  for (const [path, ops] of Object.entries(doc.paths)) { // both sources agree
    for (const method of Object.keys(ops)) assert.ok(routes.some((r) => r.path === path && r.method === method.toUpperCase()), `${method} ${path} in /openapi.json only`);
  }
  const near = [...new Set(routes.map((r) => r.path.replace(/\{\w+\}|\*/g, '1')))];
  return [...routes, { key: '(unknown routes)', method: '*', path: '', params: [], query: [], ifMatch: false, area: 'unknown', near }];
}
const isLight = (r: Route) => r.method === 'HEAD' || r.area === 'ops';

function paramKind(r: Route, name: string): PickKind {
  if (name === 'id') return r.path.startsWith('/v2/apps') ? 'app' : r.path.includes('/secret-keys/') ? 'secretKeyset' : 'keyset';
  if (name === 'customerId') return r.params.includes('keysetId') ? 'heldCustomer' : 'customer';
  if (name === 'secretKeyPrefix') return 'secretPrefix';
  return 'heldKeyset'; // keysetId: a held keyset (paired with its customer where the route has both)
}

// ---- the cases ----

class Cred { constructor(readonly name: 'own' | 'bearer' | 'foreign' | 'readonly' | 'nonOem' | 'expired' | 'session' | 'foreignSession') {} }
type Header = string | Cred | Pick | undefined;
/** `literal` replaces the n-th number of the JSON text (1e400, 1.0, -0…). */
type Body = { kind: 'none' } | { kind: 'json'; value: unknown; literal?: [string, number] } | { kind: 'raw'; data: string | Buffer };
interface Case {
  method: string; path: string; params: (Pick | Raw | string)[]; query: (string | Pick)[]; body: Body;
  headers: Record<string, Header>; extra: Record<string, string>; dup: [string, string | null] | null; // a header sent twice (null: same value)
}

function hints(r: Route, idx: number): Hints {
  const token = r.path.endsWith('/access-token');
  return (name, s) => {
    switch (name) {
      case 'name': return fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.constantFrom('Acme 😀', 'e\u0301'));
      case 'externalId':
        if (r.method === 'POST' && r.path.endsWith('/customers')) return fc.oneof({ weight: 5, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_-]{8,16}$/) }, { weight: 1, arbitrary: fc.constant(new Pick('externalId', idx)) });
        return fc.constant(new Pick(token ? 'heldExternalId' : 'externalId', idx));
      case 'appId': return token ? fc.constant(new Pick('heldApp', idx)) : fc.boolean().map((str) => new Pick('app', idx, str && !!s.anyOf?.some((b) => b.type === 'string')));
      case 'keysetIds': return fc.array(fc.oneof(
        { weight: 10, arbitrary: fc.nat().map((i) => new Pick('freeKeyset', i)) },
        { weight: 1, arbitrary: fc.nat().map((i) => new Pick('keyset', i)) },
        { weight: 1, arbitrary: fc.nat().map((i) => new Pick('foreignKeyset', i)) },
      ), { minLength: s.minItems ?? 0, maxLength: 3 });
      case 'customerId': return fc.constant(new Pick('customer', idx));
      case 'cursor': return fc.oneof(fc.constant(new Pick('cursor', idx)), cursorLike);
      case 'limit': case 'page': case 'pageSize': return fc.integer({ min: 1, max: 5 });
      case 'expiresAt': return fc.tuple(fc.integer({ min: 120, max: 300 * 86_400 }), fc.boolean())
        .map(([s2, ms]) => new Date(Date.now() + s2 * 1000).toISOString().replace(ms ? /$/ : /\.\d{3}Z$/, ms ? '' : 'Z'));
      case 'email': return fc.constant(new Pick('email', idx));
      case 'password': return fc.constant(new Pick('password', idx));
      default: return undefined;
    }
  };
}

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const cred = (name: Cred['name']) => fc.constant(new Cred(name));
const none = fc.constant(undefined);
/** Paths no route has: junk, and near misses of real ones (another case, a trailing slash, an extra segment…). */
const unknownPath = (near: string[]) => fc.oneof(
  fc.constantFrom('/', '/v2', '/v2/', '/api', '/v2/oem', '/healthz/x', '/api/oem/customers/x/y/z', '/docs/../healthz'),
  fc.array(fc.oneof(pathJunk.map(enc), rawPathJunk), { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
  fc.tuple(fc.constantFrom(...near), fc.constantFrom<(p: string) => string>((p) => `${p}/`, (p) => p.toUpperCase(), (p) => `${p}/x`, (p) => p.replace('/', '//'),
    (p) => `${p}%2F`, (p) => `${p};a=b`, (p) => p.replace(/\/[^/]*$/, ''), (p) => p.replace('/v2/', '/api/'), (p) => p.replace('/api/', '/v2/'))).map(([p, f]) => f(p) || '/'),
);

/**
 * A case is a valid request (live ids of the caller's account, a schema-valid body, the right
 * credentials and headers) in which one part, or now and then every part, is replaced by anything.
 */
function caseOf(r: Route): fc.Arbitrary<Case> {
  const [v2, legacy, post] = [r.area === 'v2', r.area === 'legacy', r.method === 'POST' || r.area === 'unknown'];
  const versions = KNOWN_VERSIONS.filter((v) => v >= (r.since ?? ''));
  const idx = fc.nat();
  const param = (p: string, i: number, wild: boolean) => (p === '*' ? (wild ? pathJunk.map(enc) : fc.constantFrom('index.css', 'swagger-ui.css', 'x.js'))
    : wild ? pathParam(paramKind(r, p), i) : fc.constant(new Pick(paramKind(r, p), i, true)));
  const params = (wild: boolean) => idx.chain((i) => fc.tuple(...r.params.map((p) => param(p, i, wild))));
  const query = (wild: boolean) => idx.chain((i) => queryString(r.query, hints(r, i), wild));
  const schemaBody = r.body && idx.chain((i) => valid(r.body!, hints(r, i)));
  const json = (a: fc.Arbitrary<unknown>) => a.map((value): Body => ({ kind: 'json', value }));
  const noBody = fc.constant<Body>({ kind: 'none' });
  const clean = fc.record({
    params: params(false), query: query(false), body: schemaBody ? json(schemaBody) : noBody,
    authorization: v2 ? fc.oneof(w(4, cred('own')), w(1, cred('bearer'))) : none,
    'pubnub-version': v2 ? fc.constantFrom(...versions) : none,
    'x-session-token': legacy ? cred('session') : none,
    'content-type': jsonType, typeWithoutBody: fc.oneof(w(3, none), w(1, jsonType)),
    'idempotency-key': none,
    'if-match': r.ifMatch ? fc.oneof(w(3, none), w(1, fc.nat().map((i) => new Pick('etag', i)))) : none,
    extra: fc.constant({}), dup: fc.constant(null),
  });
  const wild = fc.record({
    params: params(true), query: query(true),
    body: fc.oneof(...[
      ...(schemaBody ? [w(1, json(schemaBody)), w(8, json(mutated(schemaBody))),
        w(1, fc.tuple(schemaBody, numberLiteral, fc.nat()).map(([value, lit, n]): Body => ({ kind: 'json', value, literal: [lit, n] })))] : []),
      w(1, noBody), w(2, json(fc.oneof(fc.jsonValue({ maxDepth: 3 }), junk))), w(2, rawPayload.map((data): Body => ({ kind: 'raw', data }))),
    ]),
    authorization: fc.oneof(w(2, cred('foreign')), w(2, cred('readonly')), w(1, cred('nonOem')), w(1, cred('expired')), w(2, none), w(2, headerText()),
      w(1, fc.constantFrom('Bearer', 'Bearer ', 'bearer  x', 'Basic YTpi')), w(1, cred('session'))),
    'pubnub-version': fc.oneof(w(2, fc.constantFrom(...KNOWN_VERSIONS)), w(1, none),
      w(2, fc.oneof(fc.constantFrom('2026-02-10', 'latest', '2026-2-9', ' 2026-03-23 ', '2026-03-23, 2026-03-01', '9999-12-31', '0000-00-00', ''), headerText(12)))),
    'x-session-token': fc.oneof(w(1, cred('foreignSession')), w(1, none), w(1, headerText()), w(1, cred('own'))),
    'content-type': fc.oneof(w(4, oddType), w(1, none), w(1, jsonType)), typeWithoutBody: none,
    'idempotency-key': fc.oneof(w(2, fc.uuid()), w(2, fc.constantFrom('k1', 'k2', 'k3')), w(2, fc.oneof(fc.constantFrom('', 'x'.repeat(256), 'é', 'a\tb'), headerText(20)))),
    'if-match': fc.oneof(w(1, fc.constant('*')), w(1, fc.nat().map((i) => new Pick('etag', i))), w(2, fc.oneof(fc.constantFrom('W/"x"', '"nope"', '"a", "b"', ''), headerText()))),
    extra: fc.dictionary(fc.constantFrom('accept', 'x-forwarded-for', 'request-id', 'accept-encoding', 'content-encoding', 'expect',
      'x-http-method-override', 'origin', 'cookie', 'x-unknown'), headerText(30), { minKeys: 1, maxKeys: 3 }),
    dup: fc.tuple(fc.constantFrom('authorization', 'pubnub-version', 'x-session-token', 'idempotency-key', 'content-type', 'if-match'), fc.option(headerText(20))),
  });
  type Part = keyof (typeof clean extends fc.Arbitrary<infer T> ? T : never);
  const part = (name: Part | 'none' | 'all', weight: number) => w(weight, fc.constant(name));
  const which = fc.oneof(...[part('none', 4), part('params', r.params.length ? 4 : 0), part('query', r.query.length ? 2 : 1), part('body', r.body ? 6 : 1),
    part('authorization', v2 ? 2 : 1), part('pubnub-version', v2 ? 2 : 1), part('x-session-token', legacy ? 2 : 1), part('content-type', 2),
    part('idempotency-key', post ? 2 : 1), part('if-match', r.ifMatch ? 2 : 1), part('extra', 1), part('dup', 1), part('all', 1)].filter((p) => p.weight > 0));
  const target = r.area === 'unknown'
    ? fc.tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), unknownPath(r.near ?? ['/']))
    : fc.constant<[string, string]>([r.method, r.path]);
  return fc.tuple(target, which, clean, wild).map(([[method, path], sel, c, x]) => {
    const get = <K extends Part>(k: K) => (sel === k || sel === 'all' ? x : c)[k];
    const body = get('body');
    const type = sel === 'content-type' || sel === 'all' ? x['content-type'] : body.kind === 'none' ? c.typeWithoutBody : c['content-type'];
    const headers: Record<string, Header> = { 'content-type': type };
    for (const k of ['authorization', 'pubnub-version', 'x-session-token', 'idempotency-key', 'if-match'] as const) headers[k] = get(k);
    return { method, path, params: get('params'), query: get('query'), body, headers, extra: get('extra'), dup: get('dup') };
  });
}

// ---- one world per store: the accounts, their data, and the check of one case ----

async function world(h: Harness) {
  const own = await h.account();
  const foreign = await h.account();
  const key = async (acc: TestAccount, permissions: string[], expiresInMs?: number) => (await h.accounts.createApiKey({ accountId: acc.accountId, permissions, expiresInMs })).key;
  const users = new UsersService(h.store, h.clock);
  const session = async (acc: TestAccount, email: string) => {
    await users.createUser({ accountId: acc.accountId, email, password: PASSWORD });
    const r = await h.request({ method: 'POST', url: '/api/me', body: { email, password: PASSWORD } });
    assert.equal(r.statusCode, 200, r.body);
    return r.json().result.token as string;
  };
  const creds: Record<Cred['name'], string> = {
    own: own.key, bearer: `Bearer ${own.key}`, foreign: foreign.key, readonly: await key(own, ['oem:read', 'apps:read', 'keysets:read']),
    nonOem: (await h.account({ oem: false })).key, expired: await key(own, [...PERMISSIONS], 1),
    session: await session(own, `own-${own.accountId}@example.com`), foreignSession: await session(foreign, `foreign-${foreign.accountId}@example.com`),
  };
  const emails = [`own-${own.accountId}@example.com`, `FOREIGN-${foreign.accountId}@example.com`, 'nobody@example.com'];
  const seen = { etags: [] as string[], cursors: [] as string[], emails, password: PASSWORD }; // ETags and cursors the server gave out
  const store = await tablesOf(h);
  const names = store.tables.map((t) => t.name);
  assert.ok(names.includes('customers') && names.includes('idempotency_keys') && names.includes('sessions'), `tables: ${names}`);
  let snap = await snapshot(h, store);
  const relist = () => listsOf(snap, store.tables, own.accountId, foreign.accountId, seen);
  let lists = relist();
  let seq = 0;

  const customer = async (acc: TestAccount, keysetIds: number[]) => {
    const r = await h.request({ method: 'POST', url: '/v2/oem/customers', key: acc.key, body: { externalId: `seed-${++seq}`, name: 'Seed', keysetIds } });
    assert.equal(r.statusCode, 200, r.body);
  };
  /** Tops the data up when successful deletes have used it up, so valid requests stay possible. */
  async function replenish(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      if (lists.app.length < 2 || lists.keyset.length < 6 || lists.freeKeyset.length < 4) await h.keysets(own, 4);
      else if (lists.foreignKeyset.length < 2 || lists.foreignFree.length < 1) await h.keysets(foreign, 2);
      else if (lists.customer.length < 3 || lists.heldCustomer.length < 2) await customer(own, lists.freeKeyset.slice(0, 2).map(Number));
      else if (lists.foreignCustomer.length < 1) await customer(foreign, lists.foreignFree.slice(0, 1));
      else return;
      snap = await snapshot(h, store);
      lists = relist();
    }
  }

  async function run(c: Case): Promise<number> {
    await replenish();
    const pick = (p: Pick) => {
      const list = lists[p.kind];
      const v = list.length ? list[p.i % list.length]! : MISSING(p.kind);
      return p.asString ? String(v) : v;
    };
    let n = 0;
    let url = c.path.replace(/\{\w+\}|\*/g, () => {
      const v = c.params[n++]!;
      return v instanceof Raw ? v.text : enc(String(v instanceof Pick ? pick(v) : v));
    });
    const query = c.query.map((t) => (t instanceof Pick ? enc(String(pick(t))) : t)).join('');
    if (query) url += `?${query}`;
    const headers: Record<string, string | string[]> = { ...c.extra };
    for (const [name, v] of Object.entries(c.headers)) {
      if (v !== undefined) headers[name] = v instanceof Cred ? creds[v.name] : v instanceof Pick ? String(pick(v)) : v;
    }
    if (c.dup) headers[c.dup[0]] = [String(headers[c.dup[0]] ?? ''), c.dup[1] ?? String(headers[c.dup[0]] ?? '')];
    const value = c.body.kind === 'json' ? resolve(c.body.value, pick) : undefined;
    let payload = c.body.kind === 'raw' ? c.body.data : value === undefined ? undefined : JSON.stringify(value);
    if (c.body.kind === 'json' && c.body.literal && typeof payload === 'string') {
      const [lit, at] = c.body.literal;
      const spots = [...payload.matchAll(/(?<=[:,[])-?\d+(\.\d+)?(?=[,\]}])/g)];
      const spot = spots[at % Math.max(1, spots.length)];
      if (spot) payload = payload.slice(0, spot.index) + lit + payload.slice(spot.index + spot[0].length);
    }
    const res = await h.app.inject({ method: c.method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
    const shown = payload === undefined ? '(none)' : typeof payload === 'string' ? JSON.stringify(payload.slice(0, 400)) + (payload.length > 400 ? `… (${payload.length} chars)` : '') : `bytes ${payload.subarray(0, 64).toString('hex')}`;
    const where = `\n  ${c.method} ${url.slice(0, 600)}\n  headers ${JSON.stringify(headers)}\n  body ${shown}\n  → ${res.statusCode} ${res.body.slice(0, 400)}`;
    const status = res.statusCode;
    const before = snap; // the store is read first, so that a failed check leaves the next case a true "before"
    snap = await snapshot(h, store);
    lists = relist();
    const keyed = c.method === 'POST' && headers['idempotency-key'] !== undefined; // other methods ignore the key
    const count = (x: Snapshot) => (JSON.parse(x.text.idempotency_keys!) as unknown[]).length;
    const changed = status >= 200 && status < 300 ? [] : changes(before, snap, keyed ? 'idempotency_keys' : undefined);

    assert.ok(status < 500, `a 5xx:${where}`);
    assert.notEqual(status, 429, `rate limited: the test needs an app without rate limits:${where}`);
    assert.ok(res.headers['request-id'], `no Request-Id:${where}`);
    if (status >= 400 && c.method !== 'HEAD') {
      let env: Row;
      try { env = JSON.parse(res.body) as Row; } catch { assert.fail(`an error that is not JSON:${where}`); }
      assert.deepEqual(Object.keys(env).sort(), ['error', 'message', 'statusCode'], `not the envelope:${where}`);
      assert.equal(env.statusCode, status, `statusCode differs from the status:${where}`);
      assert.equal(env.error, errorNameFor(status), `error name:${where}`);
      const messages = env.message;
      assert.ok(Array.isArray(messages) && messages.length > 0 && messages.every((m) => typeof m === 'string' && m.length > 0), `message:${where}`);
    } else if (status < 300 && c.method !== 'HEAD' && /^\/(v2|api)\//.test(c.path)) {
      assert.doesNotThrow(() => JSON.parse(res.body), `a 2xx without a JSON body:${where}`);
    }
    assert.ok(changed.length === 0, `a rejected request changed the store:${where}\n    ${changed.join('\n    ')}`);
    if (keyed && (status < 200 || status >= 300)) assert.ok(count(snap) <= count(before) + 1, `idempotency_keys grew by more than one row:${where}`);
    if (status === 200 && c.method === 'GET' && /\/customers\/\{customerId\}$/.test(c.path) && typeof res.headers.etag === 'string') {
      seen.etags.unshift(res.headers.etag); // in place: lists.etag is this array
      seen.etags.splice(20);
    } else if (status === 200 && c.method === 'GET' && /\/customers$/.test(c.path) && typeof res.json().next === 'string') {
      seen.cursors.unshift(res.json().next as string);
      seen.cursors.splice(20);
    }
    return status;
  }
  return { run };
}

describeEachStore('every route, property-based', (h, kind) => {
  test(`random requests on every route (${RUNS} per route, ${LIGHT} per HEAD and operational route)`, async (t) => {
    const started = Date.now();
    const routes = await discoverRoutes(h());
    const { run } = await world(h());
    const counts = new Map<string, number>();
    const stats = new Map<string, { ok: number; ms: number }>();
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (const r of routes) {
      const stat = { ok: 0, ms: Date.now() };
      const result = await fc.check(fc.asyncProperty(caseOf(r), async (c) => {
        counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
        const status = await run(c);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status < 300) stat.ok++;
      }), { numRuns: isLight(r) ? LIGHT : RUNS, ...SEED });
      stats.set(r.key, { ok: stat.ok, ms: Date.now() - stat.ms });
      if (result.failed) { // the case itself is in the message (fc's own report cannot print a 1000-deep body)
        const e = result.errorInstance;
        const error = e instanceof Error ? (e.name === 'AssertionError' ? e.message : e.stack?.split('\n').slice(0, 8).join('\n')) : String(e);
        failures.push(`${r.key} (seed ${result.seed}, path ${result.counterexamplePath}, ${result.numShrinks} shrinks): ${error}`);
      }
    }
    t.diagnostic(' cases    2xx     ms  route');
    for (const r of routes) t.diagnostic(`${[counts.get(r.key) ?? 0, stats.get(r.key)!.ok, stats.get(r.key)!.ms].map((x) => String(x).padStart(6)).join(' ')}  ${r.key}`);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    t.diagnostic(`[${kind}] ${total} cases on ${routes.length} routes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.diagnostic(`statuses: ${[...statuses].sort(([a], [b]) => a - b).map(([k, v]) => `${k}×${v}`).join(' ')}`);
    if (failures.length > 0) assert.fail(`${failures.length} route(s) failed:\n\n${failures.join('\n\n')}`);
    assert.deepEqual(routes.filter((r) => !counts.get(r.key)).map((r) => r.key), [], 'routes that ran no case');
    assert.ok(routes.length > 60 && routes.some((r) => r.area === 'legacy') && routes.some((r) => r.path === '/healthz'), `routes: ${routes.map((r) => r.key)}`);
    const health = await h().app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200, health.body);
    assert.deepEqual(health.json(), { status: 'ok' });
    assert.equal((await h().app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  });
});
