// Environment → validated, typed, frozen configuration. Every setting is listed in the README.
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly logLevel: string;
  readonly bodyLimit: number;
  readonly bootstrapApiKey: string | undefined;
  /** The `iss` claim of access tokens. */
  readonly tokenIssuer: string;
  /** Requests per caller per window; 0 turns rate limiting off. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  /** Failed sign-ins (401s) per client address per window before it is refused up front; 0 = off. */
  readonly authFailureLimit: number;
  /** Where nodes share rate-limit counts; unset → counted in this process. */
  readonly redisUrl: string | undefined;
  /** The whole request (headers and body) must arrive within this. */
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Open connections at most; 0 = no cap. */
  readonly maxConnections: number;
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/oem.sqlite';
export const DEFAULT_TOKEN_ISSUER = 'oem-customer-server';
export const DEFAULT_RATE_LIMIT_MAX = 600;
export const DEFAULT_RATE_LIMIT_WINDOW_MS = 60_000;
export const DEFAULT_AUTH_FAILURE_LIMIT = 100;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 72_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {}

/** Parses a byte size: a plain integer, or with a kb/mb suffix (binary units). */
function parseBytes(name: string, raw: string): number {
  const m = /^(\d+)\s*(b|kb|kib|mb|mib)?$/i.exec(raw.trim());
  if (!m) throw new ConfigError(`${name} must be a number of bytes, optionally with kb or mb (got "${raw}")`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('k') ? 1024 : 1;
  const value = Number(m[1]) * factor;
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`${name} must be at least 1 byte (got "${raw}")`);
  return value;
}

/** A duration: milliseconds, or with an ms/s/m/h suffix (`500ms`, `60s`, `1m`). */
function parseMs(name: string, raw: string, min: number): number {
  const m = /^(\d{1,9})\s*(ms|s|m|h)?$/i.exec(raw.trim());
  const unit = (m?.[2] ?? 'ms').toLowerCase();
  const value = m ? Number(m[1]) * ({ ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as Record<string, number>)[unit]! : NaN;
  if (!(value >= min) || value > 2_147_483_647) {
    throw new ConfigError(`${name} must be a duration of at least ${min} ms: milliseconds, or with an ms, s, m or h suffix (got "${raw}")`);
  }
  return value;
}

function parseCount(name: string, raw: string): number {
  const n = /^\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw new ConfigError(`${name} must be a whole number, 0 or more (got "${raw}")`);
  return n;
}

function parsePort(raw: string): number {
  const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be an integer from 0 to 65535 (got "${raw}")`);
  return port;
}

export function databaseUrlFrom(env: NodeJS.ProcessEnv): string {
  return env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${env.LOG_LEVEL}")`);
  const bootstrapApiKey = env.OEM_BOOTSTRAP_API_KEY?.trim() || undefined;
  if (bootstrapApiKey !== undefined && (bootstrapApiKey.length < 20 || !/^[\x21-\x7e]+$/.test(bootstrapApiKey))) {
    throw new ConfigError('OEM_BOOTSTRAP_API_KEY must be at least 20 printable ASCII characters without spaces');
  }
  const tokenIssuer = env.TOKEN_ISSUER?.trim() || DEFAULT_TOKEN_ISSUER;
  // Verifiers compare iss exactly: a control character or a huge value is surely a mistake.
  if (tokenIssuer.length > 255 || /[\u0000-\u001f\u007f]/.test(tokenIssuer)) {
    throw new ConfigError('TOKEN_ISSUER must be at most 255 characters without control characters');
  }
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    throw new ConfigError('REDIS_URL must look like redis://host:port or rediss://… (got a value of another form)');
  }
  const requestTimeoutMs = parseMs('REQUEST_TIMEOUT', env.REQUEST_TIMEOUT?.trim() || String(DEFAULT_REQUEST_TIMEOUT_MS), 100);
  const headersTimeoutMs = parseMs('HEADERS_TIMEOUT', env.HEADERS_TIMEOUT?.trim() || String(Math.min(DEFAULT_HEADERS_TIMEOUT_MS, requestTimeoutMs)), 100);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT (${headersTimeoutMs} ms > ${requestTimeoutMs} ms)`);
  }
  return Object.freeze({
    host: env.HOST?.trim() || '127.0.0.1',
    port: parsePort(env.PORT?.trim() || '8080'),
    databaseUrl: databaseUrlFrom(env),
    logLevel,
    bodyLimit: parseBytes('BODY_LIMIT', env.BODY_LIMIT?.trim() || '1048576'),
    bootstrapApiKey,
    tokenIssuer,
    rateLimitMax: parseCount('RATE_LIMIT_MAX', env.RATE_LIMIT_MAX?.trim() || String(DEFAULT_RATE_LIMIT_MAX)),
    rateLimitWindowMs: parseMs('RATE_LIMIT_WINDOW', env.RATE_LIMIT_WINDOW?.trim() || String(DEFAULT_RATE_LIMIT_WINDOW_MS), 1_000),
    authFailureLimit: parseCount('AUTH_FAILURE_LIMIT', env.AUTH_FAILURE_LIMIT?.trim() || String(DEFAULT_AUTH_FAILURE_LIMIT)),
    redisUrl,
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: parseMs('KEEP_ALIVE_TIMEOUT', env.KEEP_ALIVE_TIMEOUT?.trim() || String(DEFAULT_KEEP_ALIVE_TIMEOUT_MS), 1_000),
    maxConnections: parseCount('MAX_CONNECTIONS', env.MAX_CONNECTIONS?.trim() || String(DEFAULT_MAX_CONNECTIONS)),
  });
}
