// Edges of the HTTP contract: requests Fastify or Node reject before any route, bytes that are not
// UTF-8, bodiless requests with any content type, oversized error lists, and what reaches the log.
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { fails, ok } from './helpers/assertions.js';
import { countRows, describeEachStore, freshStore, TestClock, type StoreHandle } from './helpers/harness.js';

const URL = '/v2/oem/customers';

describeEachStore('HTTP edges', (h) => {
  test('a bodiless DELETE or GET may carry any Content-Type', async () => {
    const acc = await h().account();
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const app = ok(await h().request({ method: 'POST', url: '/v2/apps', key: acc.key, body: { name: 'a' } }), 201);
      ok(await h().request({ method: 'GET', url: `/v2/apps/${app.id}`, key: acc.key, headers: { 'content-type': ct } }));
      ok(await h().request({ method: 'DELETE', url: `/v2/apps/${app.id}`, key: acc.key, headers: { 'content-type': ct } }));
    }
  });

  test('bytes that are not UTF-8 → 400, nothing stored', async () => {
    const acc = await h().account();
    const before = await countRows(h().store, 'customers');
    for (const bytes of [Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff])]) {
      const payload = Buffer.concat([Buffer.from('{"externalId":"u","name":"'), bytes, Buffer.from('"}')]);
      const r = await h().app.inject({
        method: 'POST', url: URL, payload,
        headers: { authorization: acc.key, 'pubnub-version': '2026-02-09', 'content-type': 'application/json' },
      });
      fails(r, 400, ['body is not valid UTF-8']);
    }
    assert.equal(await countRows(h().store, 'customers'), before);
  });

  test('a small body with very many bad items gets a bounded list of problems', async () => {
    const acc = await h().account();
    const r = await h().request({ method: 'POST', url: URL, key: acc.key, body: { externalId: 'x', name: 'n', keysetIds: new Array(100_000).fill(0) } });
    assert.equal(r.statusCode, 400);
    const message: string[] = r.json().message;
    assert.equal(message.length, 51);
    assert.equal(message[0], 'keysetIds[0] must be at least 1');
    assert.equal(message[50], '…and 99950 more problems');
    assert.ok(r.body.length < 10_000);
  });

  test('a malformed URL and an over-long path parameter answer in the envelope', async () => {
    const acc = await h().account();
    const bad = await h().request({ method: 'GET', url: '/v2/oem/customers/%zz', key: acc.key });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(Object.keys(bad.json()).sort(), ['error', 'message', 'statusCode']);
    assert.ok(bad.headers['request-id']);
    const long = await h().request({ method: 'GET', url: `/v2/apps/${'9'.repeat(600)}`, key: acc.key });
    assert.equal(long.statusCode, 414);
    assert.deepEqual(long.json().error, 'URITooLong');
  });

  test('two Authorization headers → 401, even when the first holds a valid key', async () => {
    const acc = await h().account();
    const r = await h().app.inject({ method: 'GET', url: '/v2/apps', headers: { authorization: [acc.key, 'bogus'] as unknown as string, 'pubnub-version': '2026-02-09' } });
    fails(r, 401, ['send the API key in one Authorization header']);
  });

  test('a NUL character in any path, query or body string → 400, never a 500', async () => {
    const acc = await h().account();
    const forged = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'a\u0000b'])).toString('base64url');
    const requests: [string, string, unknown?][] = [
      ['GET', '/v2/oem/customers/%00'], ['PATCH', '/v2/oem/customers/a%00b', { name: 'n' }], ['DELETE', '/v2/oem/customers/%00'],
      ['POST', '/v2/oem/customers/%00/keysets', { keysetIds: [1] }], ['DELETE', '/v2/oem/customers/%00/keysets/1'],
      ['GET', '/v2/oem/keysets?customerId=a%00b'], ['GET', '/v2/oem/customers?externalId=%00'],
      ['GET', `/v2/oem/customers?limit=5&cursor=${forged}`], ['GET', '/v2/oem/customers/%00/applications'],
    ];
    for (const [method, url, body] of requests) {
      const r = await h().request({ method: method as 'GET', url, key: acc.key, body });
      assert.equal(r.statusCode, 400, `${method} ${url}: ${r.body}`);
    }
    const login = await h().request({ method: 'POST', url: '/api/me', payload: '{"email":"a\\u0000@b.c","password":"x"}', headers: { 'content-type': 'application/json' } });
    assert.equal(login.statusCode, 400, login.body);
  });

  test('numeric ids have at most 15 digits, so every accepted id is exact as a JS number', async () => {
    const acc = await h().account();
    fails(await h().request({ method: 'GET', url: '/v2/apps/999999999999999', key: acc.key }), 404, ['app 999999999999999 not found']);
    const r = await h().request({ method: 'GET', url: '/v2/keysets/9007199254740993', key: acc.key });
    assert.equal(r.statusCode, 400);
    assert.match(r.json().message[0], /^id must match pattern/);
  });

  test('an unknown keyset or app is a 404 even when the body breaks a rule that needs it', async () => {
    const acc = await h().account();
    fails(await h().request({ method: 'POST', url: '/v2/keysets/999999/secret-keys', key: acc.key, body: { expiresAt: '2020-01-01T00:00:00Z' } }), 404, ['keyset 999999 not found']);
    fails(await h().request({ method: 'POST', url: '/v2/keysets', key: acc.key, body: { keyset: { name: 'k', appId: '999999', type: 'testing' }, config: { dataSync: { enabled: true } } } }), 404, ['app 999999 not found']);
  });

  test('a repeated PubNub-Version header is refused with a clear message', async () => {
    const acc = await h().account();
    const r = await h().app.inject({ method: 'GET', url: '/v2/apps', headers: { authorization: acc.key, 'pubnub-version': ['2026-02-09', '2026-03-01'] } });
    assert.equal(r.statusCode, 400);
    assert.match(r.json().message[0], /^PubNub-Version must be sent once/);
  });
});

describe('requests Node rejects before Fastify sees them', () => {
  let handle: StoreHandle;
  let port: number;
  let close: () => Promise<unknown>;
  before(async () => {
    handle = await freshStore('sqlite');
    const app = await buildApp({ config: { bodyLimit: 1024 * 1024 }, store: handle.store, clock: new TestClock() });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
    close = () => app.close();
  });
  after(async () => {
    await close();
    await handle.destroy();
  });

  const raw = (request: string) => new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
    let out = '';
    socket.setEncoding('utf8').on('data', (d: string) => (out += d)).on('close', () => resolve(out)).on('error', reject);
  });
  const envelopeOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

  test('an unknown method or a malformed request line → 400 in the envelope', async () => {
    for (const request of ['FOO / HTTP/1.1\r\nHost: x\r\n\r\n', 'GARBAGE\r\n\r\n']) {
      const response = await raw(request);
      assert.match(response, /^HTTP\/1\.1 400 /);
      assert.deepEqual(envelopeOf(response), { statusCode: 400, error: 'BadRequest', message: ['the request is not valid HTTP'] });
    }
  });

  test('headers over the size limit → 431 in the envelope', async () => {
    const response = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(response, /^HTTP\/1\.1 431 /);
    assert.equal(envelopeOf(response).error, 'RequestHeaderFieldsTooLarge');
  });
});

test('the request log line carries the path (secret-shaped parts cut short), never the query string', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  const handle = await freshStore('sqlite');
  const app = await buildApp({ config: { bodyLimit: 1024 }, store: handle.store, clock: new TestClock(), logger: pino(sink) });
  try {
    await app.inject({ method: 'GET', url: '/healthz?key=oem_this_must_not_be_logged' });
    const done = lines.filter((l) => l.msg === 'request completed');
    assert.equal(done.length, 1);
    assert.equal(done[0]!.path, '/healthz');
    assert.ok(!JSON.stringify(lines).includes('oem_this_must_not_be_logged'));
    // A whole secret where an id or a prefix belongs is cut down to what the API itself shows.
    const secret = `sec-c-${'Ab3xQ'.repeat(9)}abc`;
    await app.inject({ method: 'GET', url: `/v2/keysets/1/secret-keys/${secret}` });
    await app.inject({ method: 'GET', url: '/v2/oem/customers/oem_AbCdEfGhIjKlMnOpQrStUv' });
    const paths = lines.filter((l) => l.msg === 'request completed').slice(1).map((l) => l.path);
    assert.deepEqual(paths, ['/v2/keysets/1/secret-keys/sec-c-Ab3xQ…', '/v2/oem/customers/oem_…']);
    assert.ok(!JSON.stringify(lines).includes(secret) && !JSON.stringify(lines).includes('AbCdEfGhIjKl'));
  } finally {
    await app.close();
    await handle.destroy();
  }
});
