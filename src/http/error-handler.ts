// The single place where anything thrown becomes the error envelope of CONTRACT §2:
// { statusCode, error, message: string[] }. A 5xx never carries internals, only the request id.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isUnstorableText } from '../db/errors.js';
import { AppError, errorNameFor } from '../errors.js';
import { BASIC_SECURITY_HEADERS, SECURITY_HEADERS } from './security-headers.js';
import { validationMessages } from './validation.js';

export interface ErrorEnvelope {
  statusCode: number;
  error: string;
  message: string[];
}

function describe(error: FastifyError | AppError | Error): { status: number; messages: string[] } {
  if (error instanceof AppError) return { status: error.status, messages: error.messages };
  // Schemas refuse NUL where a field is declared; this catches any other value that reaches the store.
  if (isUnstorableText(error)) return { status: 400, messages: ['a value in the request contains a NUL character'] };
  const fe = error as FastifyError;
  if (fe.validation) {
    return { status: 400, messages: validationMessages(fe.validation as any, fe.validationContext) };
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return { status, messages: [`${fe.message}; send the body as application/json`] };
    }
    return { status, messages: [fe.message] };
  }
  return { status: status >= 500 && status < 600 ? status : 500, messages: [] };
}

export function envelope(status: number, messages: string[]): ErrorEnvelope {
  return { statusCode: status, error: errorNameFor(status), message: messages };
}

/**
 * Errors Fastify raises before a route is found (a malformed URL, an over-long path parameter):
 * the same envelope, with a request id. Passed as Fastify's `frameworkErrors` option.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 400;
  reply.headers(SECURITY_HEADERS).header('Request-Id', request.id).status(status).send(envelope(status, [error.message]));
}

/**
 * Requests Node's HTTP parser rejects (an unknown method, a malformed request line, headers over
 * the size limit, a timeout): no request object exists, so the envelope is written to the socket.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request took too long to arrive']
    : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'the request headers are too large']
    : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify(envelope(status, [message]));
  const security = Object.entries(BASIC_SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `${security}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, messages } = describe(error);
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.status(status).send(envelope(status, [`Internal server error (request id ${request.id})`]));
    }
    return reply.status(status).send(envelope(status, messages));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    reply.status(404).send(envelope(404, [`Route ${request.method} ${path} not found`]));
  });
}
