import { Type } from 'typebox';
import { DecimalId } from '../http/schemas.js';

/** PubNub's wire form: UTC, seconds, optional milliseconds, and a Z. */
const EXPIRES_AT_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?Z$';

const ExpiresAt = (description: string) => Type.String({ pattern: EXPIRES_AT_PATTERN, description, example: '2026-12-31T23:59:59Z' });

const Prefix = Type.String({
  pattern: '^sec-c-[a-zA-Z0-9]{5}$',
  description: 'The key\'s prefix: sec-c- and the five characters after it (never the whole key)',
  example: 'sec-c-Ab3xQ',
});

// `id`, as on the other /v2/keysets/:id routes (PubNub's pages call it keysetId; the name is not on the wire).
export const SecretKeysParams = Type.Object({ id: DecimalId('The keyset id') });
export const SecretKeyParams = Type.Object({ id: DecimalId('The keyset id'), secretKeyPrefix: Prefix });

export const SecretKeyListQuery = Type.Object(
  { activeOnly: Type.Optional(Type.Boolean({ default: false, description: 'true: only keys that have not expired; false (default): all keys' })) },
  { additionalProperties: false },
);

const ListedSecretKey = Type.Object({
  secretKey: Type.String({
    description: 'The key\'s prefix (sec-c-xxxxx): only a hash of the key is stored. sec-c-????? for a key made before prefixes were stored',
    example: 'sec-c-Ab3xQ',
  }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null for the permanent key' }),
});

export const SecretKeyListSchema = Type.Object({ secretKeys: Type.Array(ListedSecretKey) });

export const RotateSecretKeyBody = Type.Object(
  {
    expiresAt: Type.Optional(ExpiresAt(
      'When the current permanent key stops working (60 s to 366 days ahead); a new permanent key is made. '
      + 'Without it the current key is replaced at once.',
    )),
  },
  { additionalProperties: false },
);

export const RotatedSecretKeySchema = Type.Object({
  secretKey: Type.String({ description: 'The new permanent key; shown only in this response, stored hashed' }),
});

export const UpdateSecretKeyBody = Type.Object(
  { expiresAt: ExpiresAt('The new expiry, 60 s to 366 days ahead') },
  { additionalProperties: false },
);

export const UpdatedSecretKeySchema = Type.Object({ secretKey: ListedSecretKey });
