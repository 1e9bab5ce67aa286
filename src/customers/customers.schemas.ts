import { Type } from 'typebox';
import { DecimalId, NameString, PositiveSafeInteger } from '../http/schemas.js';

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

export const CustomerSummarySchema = Type.Object({
  id: Type.String(),
  externalId: Type.String(),
  name: Type.String(),
  created: Type.String({ format: 'date-time' }),
  updated: Type.String({ format: 'date-time' }),
  appCount: Type.Integer({ description: 'Apps with at least one keyset the customer holds' }),
  keysetCount: Type.Integer(),
});

export const CustomerListSchema = Type.Object({
  result: Type.Array(CustomerSummarySchema, { description: 'Ordered by created, then id' }),
  next: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'With limit: the cursor of the next page, null on the last' })),
});


export const CustomerListQuery = Type.Object(
  {
    appId: Type.Optional(DecimalId('Only customers holding at least one keyset of this app')),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, 'x-storable': true, description: 'Exact match (extension)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size (extension); without it the whole list is streamed' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'The `next` of the previous page (extension); needs limit' })),
  },
  { additionalProperties: false },
);

const CustomerId = Type.String({ minLength: 1, maxLength: 255, 'x-storable': true, description: 'The customer id the server assigned' });

export const CustomerParams = Type.Object({ customerId: CustomerId });
export const CustomerKeysetParams = Type.Object({ customerId: CustomerId, keysetId: DecimalId('The keyset id') });
export const KeysetParams = Type.Object({ keysetId: DecimalId('The keyset id') });

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'The ETag of a GET (or an update answer): the change happens only if the customer is still that version, else 412. `*` matches any.' })),
});

export const UpdateCustomerBody = Type.Object(
  {
    name: NameString('The new display name'),
    externalId: Type.Optional(Type.Unknown({ 'x-immutable': true, description: 'Cannot change: sending it is a 400' })),
  },
  { additionalProperties: false },
);

export const AssignBody = Type.Object(
  { keysetIds: Type.Array(PositiveSafeInteger('A keyset id of the caller\'s account'), { minItems: 1, description: 'Repeats count once; the customer holds at most 5 afterwards' }) },
  { additionalProperties: false },
);

export const KeysetsOfCustomerQuery = Type.Object(
  { customerId: CustomerId, appId: Type.Optional(DecimalId('Only keysets of this app')) },
  { additionalProperties: false },
);

export const AssignmentListSchema = Type.Object({ result: Type.Array(AssignmentSchema) });

export const KeysetCustomerSchema = Type.Object({
  result: Type.Object({ id: Type.String(), externalId: Type.String(), name: Type.String(), created: Type.String({ format: 'date-time' }), updated: Type.String({ format: 'date-time' }) }),
});

export const ApplicationsQuery = Type.Object(
  {
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 1, description: 'From 1' })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100, description: '1 to 100' })),
  },
  { additionalProperties: false },
);

export const ApplicationsSchema = Type.Object({
  result: Type.Array(Type.Object({ id: Type.Integer(), accountId: Type.Integer() }), { description: 'Ordered by id' }),
});
