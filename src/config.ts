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
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/oem.sqlite';
export const DEFAULT_TOKEN_ISSUER = 'oem-customer-server';
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
  return Object.freeze({
    host: env.HOST?.trim() || '127.0.0.1',
    port: parsePort(env.PORT?.trim() || '8080'),
    databaseUrl: databaseUrlFrom(env),
    logLevel,
    bodyLimit: parseBytes('BODY_LIMIT', env.BODY_LIMIT?.trim() || '1048576'),
    bootstrapApiKey,
    tokenIssuer,
  });
}
