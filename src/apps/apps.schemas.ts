import { Type } from 'typebox';
import { NameString, IdParams, PageQueryProperties } from '../http/schemas.js';

export const AppSchema = Type.Object({
  id: Type.String({ description: 'The app id, a decimal string', example: '1' }),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const AppBody = Type.Object({ name: NameString('A human-readable name for the app') }, { additionalProperties: false });

export const AppParams = IdParams('The app id');

export const AppListQuery = Type.Object(PageQueryProperties, { additionalProperties: false });

export const AppListSchema = Type.Object({
  apps: Type.Array(AppSchema),
  total: Type.Integer({ description: 'How many apps the account has; paging reaches exactly this many' }),
  page: Type.Integer(),
  limit: Type.Integer(),
});
