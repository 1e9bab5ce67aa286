// ETag and If-Match (extension, CONTRACT §4.4). If-Match uses the strong comparison of RFC 9110:
// a weak tag (W/"…") never matches.
import type { Precondition } from './customer-rules.js';

export const etag = (version: string) => `"${version}"`;

export function parseIfMatch(header: string | undefined): Precondition | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return '*';
  return header.split(',').map((t) => t.trim()).filter((t) => t.startsWith('"') && t.endsWith('"') && t.length >= 2).map((t) => t.slice(1, -1));
}
