import { Type } from 'typebox';
import { DecimalId, NameString, IdParams, PageQueryProperties, PositiveSafeInteger } from '../http/schemas.js';
import { KeysetConfigInput, KeysetConfigSchema } from './keyset-config.schemas.js';

const KeysetType = Type.Union([Type.Literal('testing'), Type.Literal('production')], { 'x-expected': 'one of: testing, production' });

export const KeysetSchema = Type.Object({
  id: Type.String({ description: 'The keyset id, a decimal string', example: '1' }),
  appId: Type.String({ description: 'The id of the app the keyset belongs to, a decimal string' }),
  name: Type.String(),
  type: Type.String({ enum: ['testing', 'production'] }),
  publishKey: Type.String({ example: 'pub-c-5b9f3a9e-3f6b-4c1e-9c63-0c6f1f0a9b11' }),
  subscribeKey: Type.String({ example: 'sub-c-5b9f3a9e-3f6b-4c1e-9c63-0c6f1f0a9b11' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const SecretKeySchema = Type.Object({
  secretKey: Type.String({ description: 'Shown only in this response; stored hashed' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const CreatedKeysetSchema = Type.Object({
  keyset: Type.Object({ ...KeysetSchema.properties, secretKeys: Type.Array(SecretKeySchema) }),
  config: KeysetConfigSchema,
});

const AppIdInput = Type.Union(
  [DecimalId(''), PositiveSafeInteger('')],
  { 'x-expected': 'a decimal string or a positive integer', description: 'The app id, as a decimal string (PubNub\'s form) or a number' },
);

export const CreateKeysetBody = Type.Object(
  {
    keyset: Type.Object(
      { name: NameString('A human-readable name for the keyset'), appId: AppIdInput, type: KeysetType },
      { additionalProperties: false },
    ),
    config: Type.Optional(KeysetConfigInput),
  },
  { additionalProperties: false },
);

export const UpdateKeysetBody = Type.Object(
  { name: Type.Optional(NameString('A new name')), type: Type.Optional(KeysetType) },
  { additionalProperties: false, minProperties: 1 },
);

export const KeysetParams = IdParams('The keyset id');

export const KeysetListQuery = Type.Object(
  { ...PageQueryProperties, appId: Type.Optional(DecimalId('Only keysets of this app')) },
  { additionalProperties: false },
);

export const KeysetListSchema = Type.Object({
  keysets: Type.Array(KeysetSchema),
  total: Type.Integer({ description: 'How many keysets match; paging reaches exactly this many' }),
  page: Type.Integer(),
  limit: Type.Integer(),
});
