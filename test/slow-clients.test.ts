// Slow and abusive clients over real TCP: a client trickling its body does not stall others and is
// cut off by the request timeout with a 408 in the envelope; so is one that never finishes its
// headers; connections past the cap are refused while the others are served.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { PERMISSIONS } from '../src/accounts/permissions.js';
import { buildApp } from '../src/app.js';
import { freshStore, TestClock, type StoreHandle } from './helpers/harness.js';

const REQUEST_TIMEOUT = 1_500;
const HEADERS_TIMEOUT = 1_000;

/** Sends raw bytes, and resolves with everything the server wrote until it closed the connection. */
function openRaw(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => { received += chunk; });
  socket.on('error', () => {});
  const closed = new Promise<{ text: string; at: number }>((resolve) => socket.on('close', () => resolve({ text: received, at: Date.now() })));
  const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return { socket, closed, connected };
}

/** One complete request on its own connection; resolves with the status and elapsed time. */
async function quick(port: number, path: string, headers = ''): Promise<{ status: number; ms: number }> {
  const start = Date.now();
  const c = openRaw(port);
  c.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`);
  const { text } = await c.closed;
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), ms: Date.now() - start };
}

function envelopeOf(text: string) {
  const [head, body] = text.split('\r\n\r\n');
  return { head: head ?? '', body: JSON.parse(body ?? 'null') };
}

describe('slow clients', () => {
  let handle: StoreHandle;
  let app: FastifyInstance;
  let port: number;
  let key: string;
  before(async () => {
    handle = await freshStore('sqlite');
    const clock = new TestClock();
    app = await buildApp({
      config: { bodyLimit: 1024 * 1024, requestTimeoutMs: REQUEST_TIMEOUT, headersTimeoutMs: HEADERS_TIMEOUT, maxConnections: 8 },
      store: handle.store, clock,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
    const accounts = new AccountsService(handle.store.db, clock);
    const account = await accounts.createAccount({ name: 'p', oemEnabled: true });
    key = (await accounts.createApiKey({ accountId: account.id, permissions: [...PERMISSIONS] })).key;
  });
  after(async () => {
    await app.close();
    await handle.destroy();
  });

  test('a client trickling its body stalls nobody and is cut off with a 408 in the envelope', async () => {
    const slow = openRaw(port);
    await slow.connected;
    const start = Date.now();
    slow.socket.write(`POST /v2/apps HTTP/1.1\r\nHost: x\r\nAuthorization: ${key}\r\nPubNub-Version: 2026-02-09\r\n` +
      'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":"');
    const trickle = setInterval(() => { if (!slow.socket.destroyed) slow.socket.write('a'); }, 100);
    try {
      // While it trickles, other clients are answered promptly.
      const others: { status: number; ms: number }[] = [];
      while (Date.now() - start < REQUEST_TIMEOUT - 300) {
        others.push(...await Promise.all([quick(port, '/healthz'), quick(port, '/v2/apps', `Authorization: ${key}\r\nPubNub-Version: 2026-02-09\r\n`)]));
      }
      assert.ok(others.length >= 4);
      for (const o of others) {
        assert.equal(o.status, 200);
        assert.ok(o.ms < 500, `another client waited ${o.ms} ms`);
      }
      const { text, at } = await slow.closed;
      const elapsed = at - start;
      assert.ok(elapsed >= REQUEST_TIMEOUT - 100 && elapsed < REQUEST_TIMEOUT + 1_500, `cut off after ${elapsed} ms`);
      assert.match(text, /^HTTP\/1\.1 408 /);
      const { head, body } = envelopeOf(text);
      assert.deepEqual(body, { statusCode: 408, error: 'RequestTimeout', message: ['the request took too long to arrive'] });
      assert.match(head, /\r\nX-Content-Type-Options: nosniff\r\n/i);
    } finally {
      clearInterval(trickle);
      slow.socket.destroy();
    }
    assert.equal(await handle.store.db.selectFrom('apps').select('id').execute().then((rows) => rows.length), 0);
  });

  test('a client that never finishes its headers is cut off with a 408', async () => {
    const slow = openRaw(port);
    await slow.connected;
    const start = Date.now();
    slow.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => { if (!slow.socket.destroyed) slow.socket.write('X-A: b\r\n'); }, 100);
    try {
      const { status, ms } = await quick(port, '/healthz');
      assert.equal(status, 200);
      assert.ok(ms < 500);
      const { text, at } = await slow.closed;
      assert.ok(at - start < HEADERS_TIMEOUT + 1_500, `cut off after ${at - start} ms`);
      assert.match(text, /^HTTP\/1\.1 408 /);
      assert.equal(envelopeOf(text).body.error, 'RequestTimeout');
    } finally {
      clearInterval(trickle);
      slow.socket.destroy();
    }
  });

  test('connections past the cap are dropped; the server serves again once some close', async () => {
    const idle = Array.from({ length: 8 }, () => openRaw(port));
    await Promise.all(idle.map((c) => c.connected));
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      const refused = await quick(port, '/healthz');
      assert.equal(refused.status, 0, 'the connection over the cap is closed without an answer');
    } finally {
      for (const c of idle) c.socket.destroy();
    }
    await Promise.all(idle.map((c) => c.closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await quick(port, '/healthz')).status, 200);
  });
});
