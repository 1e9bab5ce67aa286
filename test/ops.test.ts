// CONTRACT §8: the operational routes, the OpenAPI document and the offline /docs UI, on each store.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { sql } from 'kysely';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { buildApp } from '../src/app.js';
import { migrate, migrationNames } from '../src/db/migrations.js';
import { openStore, type Store } from '../src/db/store.js';
import { KNOWN_VERSIONS } from '../src/http/versions.js';
import { describeEachStore, freshStore, PG_URL, TestClock, type StoreKind } from './helpers/harness.js';

const NO_AUTH = { authorization: undefined, 'pubnub-version': undefined };
const MIN_V2_ROUTES = [
  'POST /v2/apps', 'GET /v2/apps', 'GET /v2/apps/{id}', 'PATCH /v2/apps/{id}', 'DELETE /v2/apps/{id}',
  'POST /v2/keysets', 'GET /v2/keysets', 'GET /v2/keysets/{id}', 'PATCH /v2/keysets/{id}', 'DELETE /v2/keysets/{id}',
  'POST /v2/oem/customers',
];

/** Every "METHOD /path" the app serves, read from its route tree (HEAD twins of GET left out). */
function servedRoutes(app: FastifyInstance): { method: string; url: string }[] {
  const out: { method: string; url: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (method !== 'HEAD') out.push({ method, url: stack.join('') });
    }
  }
  return out;
}
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** An app over a store that is given, so the test can break the store under it. */
async function appOver(store: Store): Promise<FastifyInstance> {
  return buildApp({ config: { bodyLimit: 1024 * 1024 }, store, clock: new TestClock() });
}

async function unmigratedStore(kind: StoreKind): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-ops-'));
    const store = await openStore(`sqlite:${path.join(dir, 'empty.sqlite')}`);
    return { store, cleanup: async () => { await store.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
  }
  const schema = `t_ops_${randomBytes(5).toString('hex')}`;
  const store = await openStore(PG_URL!, { pgSchema: schema });
  return { store, cleanup: async () => { await sql.raw(`drop schema if exists ${schema} cascade`).execute(store.db); await store.close(); } };
}

function assertEnvelope(r: { statusCode: number; json(): any }, status: number, error: string, message?: string[]) {
  assert.equal(r.statusCode, status);
  const body = r.json();
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message', 'statusCode']);
  assert.equal(body.statusCode, status);
  assert.equal(body.error, error);
  assert.ok(Array.isArray(body.message) && body.message.length > 0 && body.message.every((m: unknown) => typeof m === 'string'));
  if (message) assert.deepEqual(body.message, message);
}

function isEnvelopeSchema(s: any): boolean {
  return s?.type === 'object' && ['statusCode', 'error', 'message'].every((k) => s.required?.includes(k))
    && s.properties?.statusCode?.type === 'integer' && s.properties?.error?.type === 'string'
    && s.properties?.message?.type === 'array' && s.properties.message.items?.type === 'string';
}

describeEachStore('operational routes', (h, kind) => {
  const get = (url: string, headers: Record<string, string | undefined> = NO_AUTH) => h().request({ method: 'GET', url, headers });

  test('/healthz and /readyz answer 200 JSON without Authorization or PubNub-Version, with a Request-Id', async () => {
    for (const [url, body] of [['/healthz', { status: 'ok' }], ['/readyz', { status: 'ready' }]] as const) {
      const r = await get(url);
      assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.deepEqual(r.json(), body);
      assert.match(String(r.headers['request-id']), /^[0-9a-f-]{36}$/);
    }
  });

  test('ops routes ignore a bad Authorization and a bad PubNub-Version', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs/json']) {
      const r = await get(url, { authorization: 'garbage', 'pubnub-version': 'not-a-version' });
      assert.equal(r.statusCode, 200, `${url}: ${r.statusCode}`);
      assert.ok(r.headers['request-id'], url);
    }
  });

  test('/readyz → 503 in the envelope when the store is closed', async () => {
    const handle = await freshStore(kind);
    const app = await appOver(handle.store);
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      await handle.store.close();
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      assertEnvelope(r, 503, 'ServiceUnavailable', ['the store is unreachable']);
      assert.ok(r.headers['request-id']);
      assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'healthz does not depend on the store');
    } finally {
      await app.close();
      await handle.destroy().catch(() => {});
    }
  });

  test('/readyz → 503 "migrations are pending" on an un-migrated or half-migrated store, 200 once migrated', async () => {
    const { store, cleanup } = await unmigratedStore(kind);
    const app = await appOver(store);
    try {
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      assertEnvelope(r, 503, 'ServiceUnavailable', ['migrations are pending']);
      const names = migrationNames(store.dialect);
      await migrate(store, names[names.length - 2]);
      assertEnvelope(await app.inject({ method: 'GET', url: '/readyz' }), 503, 'ServiceUnavailable', ['migrations are pending']);
      await migrate(store);
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    } finally {
      await app.close();
      await cleanup();
    }
  });

  test('/metrics: Prometheus text with the request histogram by route template and default process metrics', async () => {
    const acc = await h().account();
    const created = await h().request({ method: 'POST', url: '/v2/oem/customers', key: acc.key, body: { externalId: 'm1', name: 'n' } });
    assert.equal(created.statusCode, 200, created.body);
    const app = await h().request({ method: 'GET', url: '/v2/apps/123456789', key: acc.key });
    assert.equal(app.statusCode, 404);
    const junk = `nope-${randomBytes(4).toString('hex')}`;
    await get(`/${junk}`);
    const r = await get('/metrics');
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.ok(r.headers['request-id']);
    const text = r.body;
    assert.match(text, /# TYPE http_request_duration_seconds histogram/);
    assert.match(text, /http_request_duration_seconds_count\{[^}]*route="\/v2\/oem\/customers"[^}]*\} [1-9]/);
    assert.match(text, /http_request_duration_seconds_bucket\{[^}]*method="POST"[^}]*route="\/v2\/oem\/customers"[^}]*status="200"/);
    assert.match(text, /route="\/v2\/apps\/:id"/, 'a templated route is labelled by its template');
    assert.doesNotMatch(text, /123456789|nope-/, 'raw URLs never become labels');
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      assert.match(text, new RegExp(`^${name}(\\{[^}]*\\})? `, 'm'), name);
    }
  });

  test('/openapi.json is OpenAPI 3.1 and documents exactly the /v2 routes the app serves', async () => {
    const r = await get('/openapi.json');
    assert.equal(r.statusCode, 200);
    assert.ok(r.headers['request-id']);
    const doc = r.json();
    assert.match(doc.openapi, /^3\.1/);
    const served = servedRoutes(h().app).filter((x) => x.url.startsWith('/v2/'));
    for (const x of served) assert.ok(h().app.hasRoute({ method: x.method as HTTPMethods, url: x.url }), `${x.method} ${x.url}`);
    const servedSet = new Set(served.map((x) => `${x.method} ${openApiPath(x.url)}`));
    for (const e of MIN_V2_ROUTES) {
      assert.ok(servedSet.has(e), `served: ${e}`);
      const [method, url] = e.split(' ') as [HTTPMethods, string];
      assert.ok(h().app.hasRoute({ method, url: url.replace(/\{(\w+)\}/g, ':$1') }), `hasRoute ${e}`);
    }
    const documented = new Set<string>();
    for (const [p, item] of Object.entries<any>(doc.paths)) {
      for (const m of Object.keys(item)) if (p.startsWith('/v2/')) documented.add(`${m.toUpperCase()} ${p}`);
    }
    assert.deepEqual([...documented].sort(), [...servedSet].sort());
  });

  test('every /v2 operation: envelope errors 400/401/403/500, a 2xx schema, x-since, apiKey security; 413/415 with a body; 404 with an id', async () => {
    const doc = (await get('/openapi.json')).json();
    assert.deepEqual(doc.components.securitySchemes.apiKey, { type: 'apiKey', in: 'header', name: 'Authorization' });
    for (const [p, item] of Object.entries<any>(doc.paths)) {
      if (!p.startsWith('/v2/')) continue;
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method.toUpperCase()} ${p}`;
        const codes = [400, 401, 403, 500];
        if (op.requestBody) codes.push(413, 415);
        if (/\{[^}]+\}/.test(p)) codes.push(404);
        for (const code of codes) {
          assert.ok(isEnvelopeSchema(op.responses?.[code]?.content?.['application/json']?.schema), `${where} documents ${code} as the envelope`);
        }
        const ok = Object.keys(op.responses).filter((c) => /^2\d\d$/.test(c));
        assert.equal(ok.length, 1, `${where} has one 2xx`);
        assert.equal(op.responses[ok[0]!].content?.['application/json']?.schema?.type, 'object', `${where} 2xx schema`);
        assert.ok((KNOWN_VERSIONS as readonly string[]).includes(op['x-since']), `${where} x-since ${op['x-since']}`);
        assert.ok(op.security?.some((s: Record<string, unknown>) => 'apiKey' in s), `${where} security`);
        assert.ok(op.parameters?.some((q: any) => q.in === 'header' && q.name.toLowerCase() === 'pubnub-version' && q.required), `${where} version header`);
      }
    }
    assert.equal(doc.paths['/v2/oem/customers'].post['x-since'], '2026-02-09');
    assert.equal(doc.paths['/v2/apps'].post['x-since'], '2025-11-15');
  });

  test('every authenticated operation documents 429; every POST documents Idempotency-Key and its 409/422', async () => {
    const doc = (await get('/openapi.json')).json();
    let posts = 0;
    for (const [p, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!op.security) continue;
        const where = `${method.toUpperCase()} ${p}`;
        assert.ok(isEnvelopeSchema(op.responses?.[429]?.content?.['application/json']?.schema), `${where} documents 429`);
        const idem = op.parameters?.find((q: any) => q.in === 'header' && q.name === 'idempotency-key');
        if (method !== 'post') {
          assert.equal(idem, undefined, `${where} takes no Idempotency-Key`);
          continue;
        }
        posts++;
        assert.ok(idem && !idem.required && idem.schema.maxLength === 255, `${where} documents an optional Idempotency-Key`);
        for (const code of [409, 422]) assert.ok(isEnvelopeSchema(op.responses?.[code]?.content?.['application/json']?.schema), `${where} documents ${code}`);
      }
    }
    assert.ok(posts >= 8, `only ${posts} POST operations found`);
  });

  test('error examples in the document match the status they illustrate', async () => {
    const doc = (await get('/openapi.json')).json();
    for (const [p, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        for (const [code, res] of Object.entries<any>(op.responses ?? {})) {
          const ex = res.content?.['application/json']?.schema?.properties?.statusCode?.example;
          if (Number(code) >= 400 && ex !== undefined) assert.equal(ex, Number(code), `${method.toUpperCase()} ${p} ${code}`);
        }
      }
    }
  });

  test('the documented create body is the schema the server validates with', async () => {
    const doc = (await get('/openapi.json')).json();
    const schema = doc.paths['/v2/oem/customers'].post.requestBody.content['application/json'].schema;
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual([...schema.required].sort(), ['externalId', 'name']);
    assert.deepEqual(
      { maxLength: schema.properties.externalId.maxLength, minLength: schema.properties.externalId.minLength, pattern: schema.properties.externalId.pattern },
      { maxLength: 255, minLength: 1, pattern: '^[a-zA-Z0-9_-]+$' },
    );
    assert.equal(schema.properties.name.maxLength, 255);
    assert.equal(schema.properties.name.minLength, 1);
    // The documented schema and the server agree on each of these bodies.
    const documented = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const acc = await h().account();
    const { keysetIds } = await h().keysets(acc, 1);
    const bodies: unknown[] = [
      { externalId: 'doc-ok', name: 'n' }, { externalId: 'doc-extra', name: 'n', extra: 1 }, { externalId: 'x'.repeat(256), name: 'n' },
      { externalId: 'x'.repeat(255), name: '😀'.repeat(255) }, { externalId: 'doc-long', name: 'a'.repeat(256) }, { externalId: 'doc.dot', name: 'n' },
      { externalId: 'doc-empty', name: '' }, { name: 'n' }, { externalId: 'doc-ks', name: 'n', keysetIds }, { externalId: 'doc-ks0', name: 'n', keysetIds: [0] },
      { externalId: 'doc-ksf', name: 'n', keysetIds: [1.5] }, { externalId: 'doc-kss', name: 'n', keysetIds: ['1'] }, { externalId: 7, name: 'n' }, [],
    ];
    for (const body of bodies) {
      const r = await h().request({ method: 'POST', url: '/v2/oem/customers', key: acc.key, body });
      assert.equal(r.statusCode, documented(body) ? 200 : 400, `${JSON.stringify(body).slice(0, 80)} → ${r.body.slice(0, 200)}`);
    }
  });

  test('/docs is served offline: every script and stylesheet comes from this server, no other host is referenced', async () => {
    for (const start of ['/docs', '/docs/']) {
      let url = start;
      let r = await get(url);
      for (let hops = 0; r.statusCode >= 300 && r.statusCode < 400 && hops < 5; hops++) {
        url = new URL(String(r.headers.location), `http://localhost${url}`).pathname;
        r = await get(url);
      }
      assert.equal(r.statusCode, 200, start);
      assert.match(String(r.headers['content-type']), /^text\/html/);
      assert.ok(r.headers['request-id']);
      const html = r.body;
      const base = new URL(`http://localhost${url}`);
      const refs = [...html.matchAll(/<(script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => ({ tag: m[1]!.toLowerCase(), ref: m[2]! }));
      assert.ok(refs.some((x) => x.tag === 'script') && refs.some((x) => x.tag === 'link'), 'the page loads scripts and stylesheets');
      for (const every of html.matchAll(/\b(?:src|href|action)\s*=\s*["']([^"']+)["']/gi)) {
        const target = new URL(every[1]!, base);
        assert.ok(target.host === 'localhost' || target.protocol === 'data:', `${start} references another host: ${every[1]}`);
      }
      assert.doesNotMatch(html.replace(/<!--[\s\S]*?-->/g, ''), /(?:https?:)?\/\/(?!localhost)[a-z0-9.-]+\.[a-z]{2,}\//i, 'no absolute URL in the HTML');
      for (const { ref } of refs) {
        const asset = await get(new URL(ref, base).pathname);
        assert.equal(asset.statusCode, 200, `${start}: ${ref}`);
        assert.ok(asset.body.length > 0, ref);
      }
    }
  });

  test('the spec URL the UI loads is served, equals /openapi.json, and no external validator is used', async () => {
    const init = await get('/docs/static/swagger-initializer.js');
    assert.equal(init.statusCode, 200);
    const code = init.body.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const specRef = /\burl:\s*(?:resolveUrl\()?["']([^"']+)["']/.exec(code)?.[1];
    assert.ok(specRef, 'the initializer names its spec URL');
    const spec = await get(new URL(specRef!, 'http://localhost/docs/').pathname);
    assert.equal(spec.statusCode, 200, specRef);
    assert.deepEqual(spec.json(), (await get('/openapi.json')).json());
    assert.match(code, /validatorUrl:\s*null/, 'Swagger UI would otherwise call validator.swagger.io');
    assert.doesNotMatch(code, /["'`]https?:\/\/(?!localhost)/, 'no absolute URL of another host in the initializer');
  });
});
