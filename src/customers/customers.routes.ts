// Customer routes (CONTRACT §4 routes 1–5). Paths are relative: the plugin is mounted under /v2.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { principalOf } from '../http/access.js';
import { etag, parseIfMatch } from './etag.js';
import { jsonArrayStream } from '../http/json-stream.js';
import { bodyErrorResponses, errorResponses, SuccessSchema } from '../http/schemas.js';
import { badRequest } from '../errors.js';
import { versionOf, type CustomerDetail } from './customer-rules.js';
import { CreateCustomerBody, CustomerDetailSchema, CustomerListQuery, CustomerListSchema, CustomerParams, IfMatchHeaders, UpdateCustomerBody } from './customers.schemas.js';
import type { CustomersService } from './customers.service.js';

const tags = ['OEM customers'];

/** The detail, with its ETag for a later If-Match. */
export function sendDetail(reply: FastifyReply, detail: CustomerDetail) {
  reply.header('ETag', etag(versionOf(detail)));
  return { result: detail };
}

export const customerRoutes: FastifyPluginAsyncTypebox<{ customers: CustomersService }> = async (app, { customers }) => {
  app.post('/oem/customers', {
    config: { access: { since: '2026-02-09', permission: 'oem:write', oem: true } },
    schema: { tags, summary: 'Create a customer, optionally with up to 5 keysets', body: CreateCustomerBody, response: { 200: CustomerDetailSchema, ...bodyErrorResponses() } },
  }, async (req, reply) => sendDetail(reply, await customers.create(principalOf(req).accountId, req.body)));

  app.get('/oem/customers', {
    config: { access: { since: '2026-02-09', permission: 'oem:read', oem: true } },
    schema: {
      tags, summary: 'List customers, ordered by created then id; paged with limit and cursor, else streamed whole',
      querystring: CustomerListQuery, response: { 200: CustomerListSchema, ...errorResponses() },
    },
  }, async (req, reply) => {
    const { limit, cursor, appId, externalId } = req.query;
    const query = { externalId, appId: appId === undefined ? undefined : Number(appId) };
    const accountId = principalOf(req).accountId;
    if (limit !== undefined) {
      const page = await customers.listPage(accountId, query, limit, cursor);
      return { result: page.items, next: page.next };
    }
    if (cursor !== undefined) throw badRequest('cursor needs limit');
    reply.header('Content-Type', 'application/json; charset=utf-8');
    // Streamed as it is read; the response schema documents the shape, the stream bypasses it.
    return reply.send(jsonArrayStream('{"result":[', customers.listAll(accountId, query), ']}') as never);
  });

  app.get('/oem/customers/:customerId', {
    config: { access: { since: '2026-02-09', permission: 'oem:read', oem: true } },
    schema: { tags, summary: 'Get a customer (with an ETag)', params: CustomerParams, response: { 200: CustomerDetailSchema, ...errorResponses(404) } },
  }, async (req, reply) => sendDetail(reply, await customers.get(principalOf(req).accountId, req.params.customerId)));

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/oem/customers/:customerId',
      config: { access: { since: '2026-02-09', permission: 'oem:write', oem: true } },
      schema: {
        tags, summary: 'Rename a customer (If-Match optional)', params: CustomerParams, headers: IfMatchHeaders, body: UpdateCustomerBody,
        response: { 200: CustomerDetailSchema, ...bodyErrorResponses(404, 412) },
      },
      handler: async (req, reply) => {
        const { customerId } = req.params;
        return sendDetail(reply, await customers.rename(principalOf(req).accountId, customerId, req.body.name, parseIfMatch(req.headers['if-match'])));
      },
    });
  }

  app.delete('/oem/customers/:customerId', {
    config: { access: { since: '2026-03-01', permission: 'oem:write', oem: true } },
    schema: {
      tags, summary: 'Delete a customer; its keysets stay in the account and its externalId is free again (If-Match optional)',
      params: CustomerParams, headers: IfMatchHeaders, response: { 200: SuccessSchema, ...errorResponses(404, 412) },
    },
  }, async (req) => {
    await customers.delete(principalOf(req).accountId, req.params.customerId, parseIfMatch(req.headers['if-match']));
    return { success: true };
  });
};
