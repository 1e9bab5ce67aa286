// Schemas of the access-token route (CONTRACT §4.11) and of the JWKS that verifies its tokens.
import { Type } from 'typebox';
import { CreateCustomerBody } from '../customers/customers.schemas.js';
import { NameString, PositiveSafeInteger } from '../http/schemas.js';

/** The permissions a token can carry (CONTRACT §4.11): they are the embedding site's, not this API's. */
export const TOKEN_PERMISSIONS = [
  'business-object:read', 'business-object:write', 'business-object:update:activation',
  'business-object:write:config', 'business-object:update:map', 'dashboard:read',
  'dashboard:write', 'decision:read', 'decision:read:config', 'decision:read:rule',
  'decision:write', 'decision:update:activation', 'decision:write:config',
  'decision:update:rule', 'metric:read', 'metric:write',
] as const;
export type TokenPermission = (typeof TOKEN_PERMISSIONS)[number];

export const EXPIRES_IN_PATTERN = '^\\d+[mhd]$';
export const EXPIRES_IN_RANGE = 'from 1 minute to 24 hours (1m to 1440m, 1h to 24h, or 1d)';

// The 1 minute – 24 hours range as patterns (leading zeros allowed, as ^\d+ allows them), so a value
// out of range is a schema problem, listed together with the body's other schema problems. The last
// branch passes anything that is not even of the form ^\d+[mhd]$: that is reported once, by `pattern`.
const IN_RANGE = [
  '^0*([1-9]\\d{0,2}|1[0-3]\\d\\d|14[0-3]\\d|1440)m$',
  '^0*([1-9]|1\\d|2[0-4])h$',
  '^0*1d$',
];

const ExpiresIn = Type.String({
  pattern: EXPIRES_IN_PATTERN,
  anyOf: [...IN_RANGE.map((pattern) => ({ pattern })), { not: { pattern: EXPIRES_IN_PATTERN } }],
  'x-expected': EXPIRES_IN_RANGE, // the message of a failed anyOf (src/http/validation.ts)
  default: '1h',
  description: `How long the token is valid: minutes, hours or days (15m, 1h, 1d), ${EXPIRES_IN_RANGE}`,
});

export const AccessTokenBody = Type.Object(
  {
    permissions: Type.Array(
      Type.String({ enum: [...TOKEN_PERMISSIONS] }),
      { minItems: 1, description: 'What the token holder may do; repeats count once' },
    ),
    expiresIn: Type.Optional(ExpiresIn),
    // The very constraints of customer create, so the two can never disagree.
    externalId: { ...CreateCustomerBody.properties.externalId, description: 'The externalId of a customer of the caller\'s account' },
    customerUserId: NameString('The end user the token is for, in your own terms; becomes the token\'s sub'),
    appId: PositiveSafeInteger('An app in which the customer holds at least one keyset'),
  },
  { additionalProperties: false },
);

export const AccessTokenSchema = Type.Object({
  accessToken: Type.String({ description: 'A JWT signed with ES256; verify it with the keys at /.well-known/jwks.json' }),
});

// Only these members are serialised: a private member (d) could not leak through this route even if
// a bug put it in the object.
const PublicJwkSchema = Type.Object({
  kty: Type.String(),
  crv: Type.String(),
  x: Type.String(),
  y: Type.String(),
  kid: Type.String(),
  alg: Type.String(),
  use: Type.String(),
});

export const JwksSchema = Type.Object({
  keys: Type.Array(PublicJwkSchema, { description: 'The current key first, then the rotated-out keys not yet past their retire_after, latest rotated out first' }),
});
