// The single place where anything thrown becomes the error envelope of CONTRACT §2:
// { statusCode, error, message: string[] }. A 5xx never carries internals, only the request id.
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, errorNameFor } from '../errors.js';
import { validationMessages } from './validation.js';

export interface ErrorEnvelope {
  statusCode: number;
  error: string;
  message: string[];
}

function describe(error: FastifyError | AppError | Error): { status: number; messages: string[] } {
  if (error instanceof AppError) return { status: error.status, messages: error.messages };
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

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, messages } = describe(error);
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.status(status).send(envelope(status, [`Internal server error (request id ${request.id})`]));
    }
    if (error instanceof AppError && error.code === 'TooManyRequests') reply.header('Retry-After', '1');
    return reply.status(status).send(envelope(status, messages));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    reply.status(404).send(envelope(404, [`Route ${request.method} ${path} not found`]));
  });
}
