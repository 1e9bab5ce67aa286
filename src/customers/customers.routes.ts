import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../http/access.js';
import { bodyErrorResponses } from '../http/schemas.js';
import { CreateCustomerBody, CustomerDetailSchema } from './customers.schemas.js';
import type { CustomersService } from './customers.service.js';

const tags = ['OEM customers'];

export const customerRoutes: FastifyPluginAsyncTypebox<{ customers: CustomersService }> = async (app, { customers }) => {
  app.post('/v2/oem/customers', {
    config: { access: { since: '2026-02-09', permission: 'oem:write', oem: true } },
    schema: {
      tags, summary: 'Create a customer, optionally with up to 5 keysets',
      body: CreateCustomerBody, response: { 200: CustomerDetailSchema, ...bodyErrorResponses() },
    },
  }, async (req) => ({ result: await customers.create(principalOf(req).accountId, req.body) }));
};
