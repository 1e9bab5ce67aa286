// The suite-wide secrets audit. `npm test` sets OEM_TEST_AUDIT_DIR; then every response the
// helpers see (inject and real HTTP), every log line of the harness apps (at trace level), and the
// whole output of every server process and CLI run is scanned for the secrets the suite used:
// - every credential presented (Authorization, x-session-token), every password sent, every
//   OEM_BOOTSTRAP_API_KEY given: may never appear in any response or output;
// - every token shaped like a generated secret (API key `oem_…`, session token `oems_…`, keyset
//   secret key `sec-c-…`): never in a log line; in responses only in the one that creates it (and
//   its byte-for-byte Idempotency-Key replays).
// Each test process writes its counts and findings to the folder at exit; scripts/test.mjs adds
// them up after the run and fails it on any finding.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';

const DIR = process.env.OEM_TEST_AUDIT_DIR;
export const auditing = Boolean(DIR);

/** Tokens shaped like generated secrets, and prefixed test keys (preset_…, oem_test_…). */
const SHAPED = /\b(?:oems?_[A-Za-z0-9_-]{16,}|sec-c-[A-Za-z0-9]{48}|preset_[A-Za-z0-9]{16,})/g;
/** Where a shaped secret may first appear: the responses that create one. */
const CREATES = /^(POST \/v2\/keysets|POST \/v2\/keysets\/\d+\/secret-keys|POST \/api\/me|cli keys create|first-start banner)\b/;

const presented = new Set<string>();
const unshaped: string[] = [];
const seenIn = new Map<string, string>();
const findings: string[] = [];
const counts = { responses: 0, logLines: 0, outputs: 0, secrets: 0 };

const redact = (s: string) => `${s.slice(0, 8)}…(${s.length} chars)`;

/** A secret the suite used: it must never come back. Short values are ignored (too likely to match by chance). */
export function registerSecret(value: unknown): void {
  if (!auditing || typeof value !== 'string' || value.length < 12 || presented.has(value)) return;
  presented.add(value);
  counts.secrets++;
  if (!value.match(SHAPED)?.includes(value)) unshaped.push(value);
}

function explicitLeaks(text: string, where: string): void {
  for (const token of text.match(SHAPED) ?? []) if (presented.has(token)) findings.push(`${where}: a presented secret ${redact(token)}`);
  for (const s of unshaped) if (text.includes(s)) findings.push(`${where}: a presented secret ${redact(s)}`);
}

/** A response (or CLI stdout): generated secrets only where they are created, or replayed. */
export function auditResponse(where: string, text: string, opts: { replayed?: boolean } = {}): void {
  if (!auditing) return;
  counts.responses++;
  explicitLeaks(text, where);
  for (const token of new Set(text.match(SHAPED) ?? [])) {
    if (presented.has(token)) continue;
    const first = seenIn.get(token);
    if (first === undefined) {
      seenIn.set(token, where);
      counts.secrets++;
      if (!CREATES.test(where)) findings.push(`${where}: a secret ${redact(token)} in a response that does not create one`);
    } else if (!opts.replayed) {
      findings.push(`${where}: a secret ${redact(token)} shown again (created by ${first})`);
    }
  }
}

/** A log line: no secret of any kind. */
export function auditLog(where: string, text: string): void {
  if (!auditing) return;
  counts.logLines++;
  explicitLeaks(text, where);
  for (const token of text.match(SHAPED) ?? []) if (!presented.has(token)) findings.push(`${where}: a secret-shaped token ${redact(token)} in a log line`);
}

/** A server process's whole output: JSON lines are logs; other lines (the first-start banner) may create a key once. */
export function auditProcessOutput(where: string, stdout: string, stderr: string): void {
  if (!auditing) return;
  counts.outputs++;
  for (const line of `${stdout}\n${stderr}`.split('\n')) auditProcessLine(where, line);
}

/** One line a server printed, audited as it arrives (so its first-start banner is seen before the key is used). */
export function auditProcessLine(where: string, line: string): void {
  if (!auditing || line.trim() === '') return;
  if (line.startsWith('{')) auditLog(where, line);
  else auditResponse('first-start banner', line);
}

/** Splits a stream's chunks into lines for auditProcessLine; call the result with no argument at the end. */
export function lineAuditor(where: string): (chunk?: string) => void {
  let pending = '';
  return (chunk) => {
    if (!auditing) return;
    if (chunk === undefined) {
      auditProcessLine(where, pending);
      pending = '';
      counts.outputs++;
      return;
    }
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const line of lines) auditProcessLine(where, line);
  };
}

/** A pino logger at trace level whose every line is audited (for the harness apps). */
export function auditLogger(where: string) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) auditLog(where, line);
      done();
    },
  });
  return pino({ level: 'trace' }, sink);
}

if (DIR) {
  process.on('exit', () => {
    fs.mkdirSync(DIR, { recursive: true });
    const file = path.join(DIR, `${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ script: process.argv[1], counts, findings: findings.slice(0, 200), more: Math.max(0, findings.length - 200) }));
  });
}

type Injector = (opts: any) => any;
/** Wraps app.inject so every request's credentials are registered and every response audited. */
export function auditInject(app: { inject: Injector }): void {
  if (!auditing) return;
  const inject = app.inject.bind(app) as Injector;
  app.inject = ((opts?: any) => {
    if (opts === undefined || typeof opts !== 'object' || typeof opts === 'function') return inject(opts);
    const headers = (opts.headers ?? {}) as Record<string, unknown>;
    for (const [name, value] of Object.entries(headers)) {
      if (/^(authorization|x-session-token)$/i.test(name)) registerSecret(String(value).replace(/^bearer\s+/i, '').trim());
    }
    registerPasswordIn(opts.payload);
    const where = `${String(opts.method ?? 'GET').toUpperCase()} ${String(opts.url ?? '').split('?')[0]}`;
    const answer = inject(opts);
    if (typeof answer?.then !== 'function') return answer;
    return answer.then((res: { body: string; headers: Record<string, unknown> }) => {
      auditResponse(where, `${JSON.stringify(res.headers)}\n${res.body}`, { replayed: res.headers['idempotent-replayed'] === 'true' });
      return res;
    });
  }) as Injector;
}

/** A password in a JSON body (POST /api/me) is a secret. */
export function registerPasswordIn(payload: unknown): void {
  if (!auditing) return;
  let body = payload;
  if (typeof payload === 'string') {
    try {
      body = JSON.parse(payload);
    } catch {
      return;
    }
  }
  if (body && typeof body === 'object' && 'password' in body) registerSecret((body as { password: unknown }).password);
}
