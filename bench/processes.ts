// The two processes under load, each a child `node` process so that both pay the same process,
// event-loop and loopback costs: the server (dist/src/main.js) and the bare baseline (baseline.js).
// Readiness is a 200 from GET /readyz rather than the "Server listening" log line, because the
// server runs at LOG_LEVEL=warn (logging every request would be part of what is measured).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Found relative to this compiled file, so the bench works from dist/ or any other outDir. */
export const MAIN_JS = path.resolve(HERE, '../src/main.js');
export const BASELINE_JS = path.join(HERE, 'baseline.js');
export const CLI_JS = path.resolve(HERE, '../src/cli/oem.js');

/**
 * What must be undone if the bench is interrupted (children to stop, stores to drop), newest
 * last; each entry removes itself once done normally.
 */
export const cleanups = new Set<() => Promise<void>>();

export interface Child {
  name: string;
  baseUrl: string;
  /** Milliseconds from spawn to the first 200 of /readyz. */
  readyMs: number;
  /** CPU seconds (user + system) the process has used so far; NaN where /proc is missing. */
  cpuSeconds(): number;
  /** Resident memory (VmRSS) of the process now, in bytes; NaN where /proc is missing. */
  rssBytes(): number;
  /** Log lines at warn level or above (pino levels ≥ 40), and anything on stderr. */
  problems(): string[];
  stop(): Promise<void>;
}

/** A port nobody listens on now (the OS picks it); the child binds it a moment later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Polls GET url until it answers 200; rejects once the child exits or timeoutMs passes. */
async function waitReady(url: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url}: process exited (${child.exitCode ?? child.signalCode}) before it was ready\n${output()}`);
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url}: not ready after ${timeoutMs} ms\n${output()}`);
    // Short polls: the startup figure is only as fine as this interval.
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function startChild(name: string, script: string, env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<Child> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: String(port) };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const started = performance.now();
  const child = spawn(process.execPath, [script], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const lines: string[] = [];
  const keep = (s: string) => {
    if (lines.length < 200) lines.push(s.length > 500 ? `${s.slice(0, 500)}…` : s);
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    // Only whole lines are judged; the last partial one waits for the rest.
    const parts = out.split('\n');
    out = parts.pop()!;
    for (const line of parts) {
      try {
        if ((JSON.parse(line) as { level?: number }).level! >= 40) keep(line);
      } catch {
        if (line.trim()) keep(line);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    const parts = err.split('\n');
    err = parts.pop()!;
    for (const line of parts) if (line.trim()) keep(`stderr: ${line}`);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${baseUrl}/readyz`, child, timeoutMs, () => [...lines, out, err].join('\n'));
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const readyMs = performance.now() - started;
  const stop = async () => {
    cleanups.delete(stop);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    // A graceful close should take well under this; past it the child is killed so a bench never hangs.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.add(stop);
  return { name, baseUrl, readyMs, cpuSeconds: () => cpuSeconds(child.pid), rssBytes: () => rssBytes(child.pid), problems: () => [...lines], stop };
}

/**
 * CPU time of a process from /proc/PID/stat (utime + stime, in USER_HZ ticks, 100 a second on
 * Linux). CPU per request barely moves when other work shares the machine, unlike req/s.
 */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** VmRSS from /proc/PID/status (in kB there): what the process holds in RAM, heap and all. */
function rssBytes(pid: number | undefined): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The server settings of every run: no rate limit (it would turn load into 429s), quiet logs. */
export function serverEnv(databaseUrl: string, apiKey: string): Record<string, string | undefined> {
  return {
    DATABASE_URL: databaseUrl,
    OEM_BOOTSTRAP_API_KEY: apiKey,
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'warn',
    REDIS_URL: undefined,
  };
}
