// Schemas shared by every resource: the error envelope, names, ids and the version header.
import { Type, type TSchema } from 'typebox';
import { errorNameFor } from '../errors.js';
import { KNOWN_VERSIONS } from './versions.js';

const EXAMPLE_MESSAGES: Record<number, string> = {
  400: 'externalId must match pattern ^[a-zA-Z0-9_-]+$',
  401: 'invalid API key',
  403: 'this API key lacks the oem:write permission',
  404: 'customer 3f1c… not found',
  412: 'If-Match does not match the current ETag of customer 3f1c…',
  413: 'Request body is too large',
  415: 'Unsupported Media Type: text/plain; send the body as application/json',
  409: 'a request with this Idempotency-Key is still being processed; retry later',
  422: 'this Idempotency-Key was used with another request (method, path or body)',
  429: 'rate limit of 600 requests exceeded; retry in 1 minute',
  500: 'Internal server error (request id 5b9f3a9e-3f6b-4c1e-9c63-0c6f1f0a9b11)',
  503: 'the store is unreachable',
};

/** The error envelope, with an example of the given status. */
export function errorEnvelopeSchema(status: number, description: string) {
  return Type.Object(
    { statusCode: Type.Integer(), error: Type.String(), message: Type.Array(Type.String()) },
    { description, example: { statusCode: status, error: errorNameFor(status), message: [EXAMPLE_MESSAGES[status] ?? ''] } },
  );
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: validation failures, malformed JSON, an unknown or missing PubNub-Version',
  401: 'Unauthorized: missing, unknown, revoked or expired API key',
  403: 'Forbidden: the key lacks the permission, or the account is not an OEM partner',
  404: 'Not found in the caller\'s account',
  412: 'If-Match was sent and does not match the current ETag',
  413: 'Payload too large',
  415: 'Unsupported media type: bodies must be application/json',
  409: 'Conflict: a request with the same Idempotency-Key is still in flight; retry later',
  422: 'Unprocessable: the Idempotency-Key was used with another request, or by another credential',
  429: 'Too many requests: the caller\'s rate limit, or too many failed sign-ins from this address; see Retry-After',
  500: 'Internal error: a generic message with the request id',
};

/** The error responses a route documents; every authenticated route can answer 400/401/403/500. */
export function errorResponses(...extra: (404 | 412 | 413 | 415)[]): Record<number, TSchema> {
  const codes = [400, 401, 403, ...extra, 500].sort();
  return Object.fromEntries(codes.map((c) => [c, errorEnvelopeSchema(c, ERROR_DESCRIPTIONS[c]!)]));
}

/** A body for POST/PUT/PATCH can also be refused for its size or content type. */
export const bodyErrorResponses = (...extra: (404 | 412)[]) => errorResponses(...extra, 413, 415);

/** 1–255 Unicode code points that both stores can hold exactly. */
export const NameString = (description: string) =>
  Type.String({ minLength: 1, maxLength: 255, 'x-storable': true, description });

export const PositiveSafeInteger = (description: string) =>
  Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });

/** A positive decimal id of up to 15 digits (below 2^53, so exact as a number), as PubNub sends ids in paths and query strings. */
export const DecimalId = (description: string) => Type.String({ pattern: '^[1-9][0-9]{0,14}$', description });

export const IdParams = (description: string) => Type.Object({ id: DecimalId(description) });

/** Documentation only: the statuses every limited route may answer, and POSTs with an Idempotency-Key. */
export const limitedResponses = () => ({ 429: errorEnvelopeSchema(429, ERROR_DESCRIPTIONS[429]!) });
export const idempotencyResponses = () => ({
  409: errorEnvelopeSchema(409, ERROR_DESCRIPTIONS[409]!),
  422: errorEnvelopeSchema(422, ERROR_DESCRIPTIONS[422]!),
});
export const IDEMPOTENCY_KEY_HEADER = {
  'idempotency-key': Type.String({
    minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$',
    description: 'Optional. 1–255 printable ASCII characters naming one attempt: a retry with the same key, method, path and body ' +
      'gets the first answer again (with `Idempotent-Replayed: true`) for 24 hours and writes nothing; see the README.',
  }),
};

/** Documentation only: the check itself is resolveVersion, run before validation (access.ts). */
export const versionHeaders = (since: string) => Type.Object({
  'pubnub-version': Type.String({
    enum: KNOWN_VERSIONS.filter((v) => v >= since),
    description: `The API version (YYYY-MM-DD) the request is written against; this route exists from ${since}`,
  }),
});

export const SuccessSchema = Type.Object({ success: Type.Boolean() });

/** Page/limit query of the /v2/apps and /v2/keysets lists. */
export const PageQueryProperties = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 1, description: 'Page number, from 1' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Items per page, 1 to 100' })),
};
