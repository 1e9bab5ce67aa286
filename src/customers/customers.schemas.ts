import { Type } from 'typebox';
import { NameString, PositiveSafeInteger } from '../http/schemas.js';

export const EXTERNAL_ID_PATTERN = '^[a-zA-Z0-9_-]+$';

export const AssignmentSchema = Type.Object({
  id: Type.Integer({ description: 'The keyset id' }),
  assignedAt: Type.String({ format: 'date-time' }),
});

export const CustomerDetailSchema = Type.Object({
  result: Type.Object({
    id: Type.String({ description: 'Opaque, URL-safe, assigned by the server' }),
    externalId: Type.String(),
    name: Type.String(),
    created: Type.String({ format: 'date-time' }),
    updated: Type.String({ format: 'date-time' }),
    keysets: Type.Array(AssignmentSchema, { description: 'Ordered by assignedAt, then id' }),
  }),
});

export const KeysetIdList = Type.Array(PositiveSafeInteger('A keyset id of the caller\'s account'), {
  description: 'Keyset ids; repeats count once; at most 5 distinct; each must be free',
});

export const CreateCustomerBody = Type.Object(
  {
    externalId: Type.String({
      minLength: 1, maxLength: 255, pattern: EXTERNAL_ID_PATTERN,
      description: 'Your own id for the customer; unique among the account\'s live customers',
    }),
    name: NameString('The display name, 1 to 255 characters, stored exactly as sent'),
    keysetIds: Type.Optional(KeysetIdList),
  },
  { additionalProperties: false },
);
