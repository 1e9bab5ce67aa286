// The store floor: the least any server can do for get, list 100 and create on this store,
// with nothing but node:http and the database driver (better-sqlite3 or pg). Per request it does
// what the contract itself requires and no more: hash the presented API key and look it up (with
// its account), check the PubNub-Version header, run the very SQL the server runs (prepared once),
// and answer the same JSON with the same headers (security headers, Request-Id, PubNub-Version,
// ETag). Creates are durable as the server's are: on SQLite, concurrent inserts share one
// transaction per turn of the event loop (group commit) and are answered after an fdatasync of the
// WAL, off the event loop; on PostgreSQL each insert commits by itself (one round trip, the
// fewest possible) and PostgreSQL syncs it. It also skips the server's checks before an insert
// (the externalId lookup, the keysets) and its read-back of the detail. What it leaves
// out is everything else a real server does (schema validation of every field, idempotency keys,
// rate limits, logs, metrics, error envelopes for each failure, permissions), so its ratio to the
// baseline bounds what any implementation of these routes can reach here.
//
// Run as a child process by the bench on the server's own store (DATABASE_URL, sqlite: or
// postgres://), which it shares; rounds alternate, so the two never load it at once.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { listenUntilSignalled } from './bare-server.js';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { listSummariesQuery } from '../src/customers/customers.repository.js';
import { versionOf, type CustomerDetail } from '../src/customers/customer-rules.js';
import type { DB } from '../src/db/schema.js';
import { parseStoreUrl } from '../src/db/store.js';
import { SECURITY_HEADERS } from '../src/http/security-headers.js';
import { KNOWN_VERSIONS } from '../src/http/versions.js';

type Principal = { accountId: number; revokedAt: string | null; oemEnabled: number };
type Row = Record<string, string | number>;
type Created = { accountId: number; externalId: string; name: string; id: string; now: string };

/** What a route needs of the store; SQLite answers at once, PostgreSQL with a promise. */
interface Backend {
  principal(keyHash: string): Principal | undefined | Promise<Principal | undefined>;
  customer(accountId: number, id: string): Row | undefined | Promise<Row | undefined>;
  assignments(customerId: string): Row[] | Promise<Row[]>;
  page(accountId: number, limit: number): Row[] | Promise<Row[]>;
  /** Inserts each and makes them durable together; false where the externalId is taken. */
  insertAll(rows: Created[]): Promise<boolean[]>;
}

// The SQL text the server runs, taken from the server's own query builders where they are not fixed strings.
const SQL = {
  principal: `select "api_keys"."account_id" as "accountId", "api_keys"."revoked_at" as "revokedAt", "accounts"."oem_enabled" as "oemEnabled"
    from "api_keys" inner join "accounts" on "accounts"."id" = "api_keys"."account_id" where "api_keys"."key_hash" = ?`,
  customer: 'select * from "customers" where "account_id" = ? and "id" = ?',
  assignments: 'select "ck"."keyset_id", "ck"."assigned_at" from "customer_keysets" as "ck" where "ck"."customer_id" = ? order by "ck"."assigned_at", "ck"."keyset_id"',
  insert: 'insert into "customers" ("id", "account_id", "external_id", "name", "created_at", "updated_at") values (?, ?, ?, ?, ?, ?)',
};

function sqliteBackend(file: string): Backend {
  const database = new SQLite(file);
  database.pragma('busy_timeout = 5000');
  database.pragma('synchronous = NORMAL');
  const walFd = fs.openSync(`${file}-wal`, 'r');
  const st = Object.fromEntries(Object.entries(SQL).map(([k, v]) => [k, database.prepare(v)])) as Record<keyof typeof SQL, SQLite.Statement>;
  const page = database.prepare(listSummariesQuery(new Kysely<DB>({ dialect: new SqliteDialect({ database }) }), 0, {}, 101).compile().sql);
  return {
    principal: (hash) => st.principal.get(hash) as Principal | undefined,
    customer: (accountId, id) => st.customer.get(accountId, id) as Row | undefined,
    assignments: (id) => st.assignments.all(id) as Row[],
    page: (accountId, limit) => page.all(accountId, limit + 1) as Row[],
    // Group commit: one transaction and one fdatasync (off the event loop) for the whole batch.
    insertAll: (rows) => {
      database.exec('begin immediate');
      const ok = rows.map((r) => {
        try {
          st.insert.run(r.id, r.accountId, r.externalId, r.name, r.now, r.now);
          return true;
        } catch {
          return false;
        }
      });
      database.exec('commit');
      return new Promise((resolve) => fs.fdatasync(walFd, () => resolve(ok)));
    },
  };
}

/** PostgreSQL: the server's pool size; each insert its own autocommit statement (PostgreSQL syncs each commit). */
function postgresBackend(url: string): Backend {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const dollar = (text: string) => { let i = 0; return text.replace(/\?/g, () => `$${++i}`); };
  const rows = async (text: string, values: unknown[]) => (await pool.query({ name: text.slice(0, 60) + text.length, text: dollar(text), values })).rows as Row[];
  const pageSql = listSummariesQuery(new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), 0, {}, 101).compile().sql;
  return {
    principal: async (hash) => (await rows(SQL.principal, [hash]))[0] as Principal | undefined,
    customer: async (accountId, id) => (await rows(SQL.customer, [accountId, id]))[0],
    assignments: (id) => rows(SQL.assignments, [id]),
    page: (accountId, limit) => pool.query({ name: 'page', text: pageSql, values: [accountId, limit + 1] }).then((r) => r.rows as Row[]),
    insertAll: (batch) => Promise.all(batch.map((r) => rows(SQL.insert, [r.id, r.accountId, r.externalId, r.name, r.now, r.now]).then(() => true, () => false))),
  };
}

const { dialect, target } = parseStoreUrl(process.env.DATABASE_URL!);
const store = dialect === 'sqlite' ? sqliteBackend(target) : postgresBackend(target);

const HEADERS = Object.entries(SECURITY_HEADERS);
const known = new Set<string>(KNOWN_VERSIONS);

function answer(res: http.ServerResponse, status: number, version: string, body: unknown, etag?: string): void {
  const json = JSON.stringify(body);
  for (const [name, value] of HEADERS) res.setHeader(name, value);
  res.setHeader('Request-Id', randomUUID());
  res.setHeader('PubNub-Version', version);
  if (etag) res.setHeader('ETag', `"${etag}"`);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

type Pending = Created & { res: http.ServerResponse; version: string };
let queue: Pending[] = [];
let flushing = false;

/** Creates queued in one turn of the event loop are stored and made durable together (group commit, as the server). */
function flush(): void {
  if (flushing || queue.length === 0) return;
  flushing = true;
  setImmediate(async () => {
    const batch = queue;
    queue = [];
    const ok = await store.insertAll(batch);
    batch.forEach((p, i) => {
      if (!ok[i]) return answer(p.res, 400, p.version, { statusCode: 400, error: 'BadRequest', message: ['externalId in use'] });
      const detail: CustomerDetail = { id: p.id, externalId: p.externalId, name: p.name, created: p.now, updated: p.now, keysets: [] };
      answer(p.res, 200, p.version, { result: detail }, versionOf(detail));
    });
    flushing = false;
    flush();
  });
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
  const key = req.headers.authorization;
  const principal = key ? await store.principal(createHash('sha256').update(key).digest('hex')) : undefined;
  if (!principal || principal.revokedAt !== null || principal.oemEnabled !== 1) return answer(res, 401, '', { statusCode: 401, error: 'Unauthorized', message: ['invalid API key'] });
  const version = req.headers['pubnub-version'];
  if (typeof version !== 'string' || !known.has(version)) return answer(res, 400, '', { statusCode: 400, error: 'BadRequest', message: ['PubNub-Version'] });
  const url = req.url!;
  if (req.method === 'GET' && url.startsWith('/v2/oem/customers/')) {
    const row = await store.customer(principal.accountId, url.slice('/v2/oem/customers/'.length));
    if (!row) return answer(res, 404, version, { statusCode: 404, error: 'NotFound', message: ['customer not found'] });
    const keysets = (await store.assignments(String(row.id))).map((a) => ({ id: Number(a.keyset_id), assignedAt: String(a.assigned_at) }));
    const detail: CustomerDetail = { id: String(row.id), externalId: String(row.external_id), name: String(row.name), created: String(row.created_at), updated: String(row.updated_at), keysets };
    return answer(res, 200, version, { result: detail }, versionOf(detail));
  }
  if (req.method === 'GET' && url.startsWith('/v2/oem/customers?')) {
    const limit = Number(new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('limit') ?? 100);
    const rows = await store.page(principal.accountId, limit);
    const items = rows.slice(0, limit).map((r) => ({
      id: r.id, externalId: r.external_id, name: r.name, created: r.created_at, updated: r.updated_at, appCount: r.app_count, keysetCount: r.keyset_count,
    }));
    const last = items[items.length - 1];
    const next = rows.length > limit && last ? Buffer.from(JSON.stringify([last.created, last.id])).toString('base64url') : null;
    return answer(res, 200, version, { result: items, next });
  }
  if (req.method === 'POST' && url === '/v2/oem/customers') {
    let input: { externalId?: unknown; name?: unknown };
    try {
      input = JSON.parse(body) as typeof input;
    } catch {
      return answer(res, 400, version, { statusCode: 400, error: 'BadRequest', message: ['body is not JSON'] });
    }
    if (typeof input.externalId !== 'string' || typeof input.name !== 'string') {
      return answer(res, 400, version, { statusCode: 400, error: 'BadRequest', message: ['externalId and name are required'] });
    }
    queue.push({ accountId: principal.accountId, externalId: input.externalId, name: input.name, id: randomUUID(), now: new Date().toISOString(), res, version });
    return flush();
  }
  answer(res, 404, version, { statusCode: 404, error: 'NotFound', message: ['no such route in the floor'] });
}

const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    if (req.url === '/readyz') return answer(res, 200, '', { status: 'ok' });
    handle(req, res, body).catch((error: Error) => answer(res, 500, '', { statusCode: 500, error: 'InternalError', message: [error.message] }));
  });
});
listenUntilSignalled(server);
