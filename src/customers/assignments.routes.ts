// Keyset assignment routes (CONTRACT §4 routes 6–10). Paths are relative: mounted under /v2.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../http/access.js';
import { pathId } from '../http/ids.js';
import { bodyErrorResponses, errorResponses } from '../http/schemas.js';
import type { AssignmentsService } from './assignments.service.js';
import { sendDetail } from './customers.routes.js';
import {
  ApplicationsQuery, ApplicationsSchema, AssignBody, AssignmentListSchema, CustomerDetailSchema, CustomerKeysetParams,
  CustomerParams, KeysetCustomerSchema, KeysetParams, KeysetsOfCustomerQuery,
} from './customers.schemas.js';

const tags = ['OEM customers'];

export const assignmentRoutes: FastifyPluginAsyncTypebox<{ assignments: AssignmentsService }> = async (app, { assignments }) => {
  app.post('/oem/customers/:customerId/keysets', {
    config: { access: { since: '2026-02-09', permission: 'oem:write', oem: true } },
    schema: {
      tags, summary: 'Assign keysets to a customer (additive; at most 5 held afterwards)',
      params: CustomerParams, body: AssignBody, response: { 200: CustomerDetailSchema, ...bodyErrorResponses(404) },
    },
  }, async (req, reply) => sendDetail(reply, await assignments.assign(principalOf(req).accountId, req.params.customerId, req.body.keysetIds)));

  app.delete('/oem/customers/:customerId/keysets/:keysetId', {
    config: { access: { since: '2026-02-09', permission: 'oem:write', oem: true } },
    schema: {
      tags, summary: 'Unassign a keyset from a customer (extension); 404 when the customer does not hold it',
      params: CustomerKeysetParams, response: { 200: CustomerDetailSchema, ...errorResponses(404) },
    },
  }, async (req, reply) => {
    const keysetId = pathId(req.params.keysetId, 'keyset');
    return sendDetail(reply, await assignments.unassign(principalOf(req).accountId, req.params.customerId, keysetId));
  });

  app.get('/oem/keysets', {
    config: { access: { since: '2026-02-09', permission: 'oem:read', oem: true } },
    schema: {
      tags, summary: 'The keysets a customer holds, ordered by assignedAt then id',
      querystring: KeysetsOfCustomerQuery, response: { 200: AssignmentListSchema, ...errorResponses(404) },
    },
  }, async (req) => {
    const appId = req.query.appId === undefined ? undefined : Number(req.query.appId);
    return { result: await assignments.keysetsOf(principalOf(req).accountId, req.query.customerId, appId) };
  });

  app.get('/oem/keysets/:keysetId/customer', {
    config: { access: { since: '2026-03-01', permission: 'oem:read', oem: true } },
    schema: { tags, summary: 'The customer holding a keyset', params: KeysetParams, response: { 200: KeysetCustomerSchema, ...errorResponses(404) } },
  }, async (req) => ({ result: await assignments.customerOfKeyset(principalOf(req).accountId, pathId(req.params.keysetId, 'keyset')) }));

  app.get('/oem/customers/:customerId/applications', {
    config: { access: { since: '2026-03-01', permission: 'oem:read', oem: true } },
    schema: {
      tags, summary: 'The apps containing a keyset the customer holds, ordered by id',
      params: CustomerParams, querystring: ApplicationsQuery, response: { 200: ApplicationsSchema, ...errorResponses(404) },
    },
  }, async (req) => {
    const { page = 1, pageSize = 100 } = req.query;
    return { result: await assignments.applicationsOf(principalOf(req).accountId, req.params.customerId, page, pageSize) };
  });
};
