import { pino, type Logger } from 'pino';

/** JSON lines on stdout. Secrets never reach a log call; the redaction is a second line of defence. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-session-token"]', '*.password', '*.key'], censor: '[redacted]' },
  });
}
