// Real server processes for tests that need them: the compiled entry point, started with an
// environment, waited for until it listens, and stopped with a signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, type TestContext } from 'node:test';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { auditProcessOutput, auditResponse, lineAuditor, registerPasswordIn, registerSecret } from './audit.js';
import { freshStore, type StoreHandle, type StoreKind } from './harness.js';

/** The compiled tree this test runs from (dist/ or any other outDir). */
export const BUILD_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN_JS = path.join(BUILD_ROOT, 'src/main.js');
export const CLI_JS = path.join(BUILD_ROOT, 'src/cli/oem.js');

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts `node MAIN_JS` (PORT=0 unless given) and resolves once it logs its address (needs LOG_LEVEL info or lower). */
export async function startServerProcess(env: Record<string, string | undefined>, timeoutMs = 20_000): Promise<ServerProcess> {
  return startNodeServer(MAIN_JS, [], env, { timeoutMs });
}

/**
 * Starts `node script ...args` as a server (PORT=0, HOST=127.0.0.1, LOG_LEVEL=info unless given; a
 * value of undefined removes a variable) and resolves once it logs its address. On a timeout the
 * child is killed. `exited` resolves once the process has exited and its output is fully read.
 */
export async function startNodeServer(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  registerSecret(env.OEM_BOOTSTRAP_API_KEY);
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  let out = '';
  let err = '';
  const auditOut = lineAuditor(`server ${path.basename(script)}`);
  const auditErr = lineAuditor(`server ${path.basename(script)} (stderr)`);
  child.stdout!.setEncoding('utf8').on('data', (d: string) => ((out += d), auditOut(d)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => ((err += d), auditErr(d)));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    auditOut();
    auditErr();
    resolve(code);
  }));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    const check = () => {
      const m = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  return {
    child,
    baseUrl,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node script ...args` to its end (killed after timeoutMs); a value of undefined in env removes a variable. */
export function runNode(
  script: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  registerSecret(opts.env?.OEM_BOOTSTRAP_API_KEY);
  registerSecret(opts.env?.OEM_PASSWORD);
  args.forEach((a, i) => args[i - 1] === '--password' && registerSecret(a));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (script === CLI_JS) auditResponse(`cli ${args.slice(0, 2).join(' ')}`, `${stdout}\n${stderr}`);
      else auditProcessOutput(`run ${path.basename(script)}`, stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A store nobody has touched yet (no tables): a path for a new SQLite file, or an empty PostgreSQL schema. */
export async function emptyStore(kind: 'sqlite' | 'postgres'): Promise<{ url: string; destroy(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oem-empty-'));
    return { url: `sqlite:${path.join(dir, 'oem.sqlite')}`, destroy: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const base = process.env.TEST_DATABASE_URL!;
  const schema = `e_${randomBytes(6).toString('hex')}`;
  const admin = async (q: string) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(q);
    } finally {
      await client.end();
    }
  };
  await admin(`create schema ${schema}`);
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return { url: u.toString(), destroy: () => admin(`drop schema if exists ${schema} cascade`) };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** One request with the usual headers (Authorization, PubNub-Version 2026-02-09, JSON body) through global fetch. */
export async function api(baseUrl: string, method: string, url: string, opts: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'PubNub-Version': '2026-02-09', ...(opts.key ? { Authorization: opts.key } : {}), ...opts.headers };
  const payload = opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
  if (payload !== undefined) headers['Content-Type'] ??= 'application/json';
  registerSecret(opts.key);
  registerSecret(headers['x-session-token']);
  registerPasswordIn(payload);
  const r = await fetch(baseUrl + url, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await r.text();
  auditResponse(`${method} ${url.split('?')[0]}`, `${JSON.stringify(Object.fromEntries(r.headers))}\n${text}`, { replayed: r.headers.get('idempotent-replayed') === 'true' });
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

/**
 * A JSON POST whose headers and first bytes are already on the wire (so the server holds it in
 * flight); finish() sends the rest. `response` resolves with the status and the parsed body.
 */
export function slowPost(url: string, headers: Record<string, string>, body: unknown, agent?: http.Agent) {
  const payload = JSON.stringify(body);
  const req = http.request(url, {
    method: 'POST',
    ...(agent ? { agent } : {}),
    headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
  });
  const response = new Promise<{ status: number; json: any }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => {
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        auditResponse(`POST ${new URL(url).pathname}`, `${JSON.stringify(res.headers)}\n${text}`);
        resolve({ status: res.statusCode!, json });
      });
    });
  });
  req.flushHeaders();
  req.write(payload.slice(0, 5));
  return { response, finish: () => void req.end(payload.slice(5)) };
}

/** Whether a new TCP connection to 127.0.0.1:port is accepted. */
export function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export type Defer = (fn: () => Promise<unknown>) => void;
/** Cleanups of one test, run last-in first-out even when it fails. */
export function scope(t: TestContext): Defer {
  const fns: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const fn of fns.reverse()) await fn().catch(() => {});
  });
  return (fn) => void fns.push(fn);
}


export interface ServerPair {
  handle: StoreHandle;
  /** A request to server i % 2, with the pair's key and version; the parsed answer. */
  call(i: number, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/**
 * Two server processes on one fresh store of the given kind, for tests that need the store itself
 * (not an in-process check) to keep an invariant. `pair()` is valid inside the suite's tests.
 */
export function describeServerPair(title: string, kind: StoreKind, suite: (pair: () => ServerPair) => void): void {
  describe(`${title} [${kind}]`, () => {
    const key = `oem_test_pair_${randomBytes(16).toString('hex')}`;
    registerSecret(key);
    let handle: StoreHandle;
    let servers: ServerProcess[] = [];
    before(async () => {
      handle = await freshStore(kind);
      const env = { DATABASE_URL: handle.url, OEM_BOOTSTRAP_API_KEY: key };
      servers = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    });
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await handle.destroy();
    });
    const call = (i: number, method: string, url: string, body?: unknown) =>
      fetch(`${servers[i % servers.length]!.baseUrl}${url}`, {
        method,
        headers: { authorization: key, 'pubnub-version': '2026-02-09', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }).then(async (r) => {
        const text = await r.text();
        auditResponse(`${method} ${url.split('?')[0]}`, `${JSON.stringify(Object.fromEntries(r.headers))}\n${text}`, { replayed: r.headers.get('idempotent-replayed') === 'true' });
        return { status: r.status, body: JSON.parse(text) };
      });
    suite(() => ({ handle, call }));
  });
}
