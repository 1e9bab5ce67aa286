// PubNub-Version: the minor, date-named API version every /v2 request must name (CONTRACT §1).
// Each route declares the version that introduced it in its `access.since`; this file is the list
// of known versions and the check that applies a route's declaration.
import { badRequest } from '../errors.js';

export const KNOWN_VERSIONS = ['2025-11-15', '2026-02-09', '2026-03-01', '2026-03-23', '2026-08-24', '2026-09-03'] as const;
export type ApiVersion = (typeof KNOWN_VERSIONS)[number];

export const VERSION_HEADER = 'pubnub-version';

const known = new Set<string>(KNOWN_VERSIONS);
const knownList = KNOWN_VERSIONS.join(', ');

/** The version a request is served under, or a 400 naming what is wrong and the known versions. */
export function resolveVersion(header: string | string[] | undefined, since: ApiVersion, route: string): ApiVersion {
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (value === undefined || value.trim() === '') {
    throw badRequest(`PubNub-Version header is required; known versions: ${knownList}`);
  }
  const v = value.trim();
  // Node joins repeated headers with ", ".
  if (v.includes(',')) throw badRequest(`PubNub-Version must be sent once; known versions: ${knownList}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    throw badRequest(`PubNub-Version must be a date in YYYY-MM-DD form; known versions: ${knownList}`);
  }
  if (!known.has(v)) throw badRequest(`PubNub-Version ${v} is not a known version; known versions: ${knownList}`);
  // ISO dates compare correctly as strings.
  if (v < since) throw badRequest(`${route} was introduced in PubNub-Version ${since}; the request asked for ${v}`);
  return v as ApiVersion;
}
