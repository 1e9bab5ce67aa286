// Bodies are JSON in UTF-8 (any charset parameter is accepted; RFC 8259 allows only UTF-8).
// Bytes that are not valid UTF-8 are refused rather than silently replaced, so a name is stored
// exactly as sent. A body of any other media type → 415. A request without a body may carry any
// Content-Type (clients send application/json on GET and DELETE): an empty body parses as none.
import type { FastifyInstance } from 'fastify';
import { AppError, badRequest } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as received, before parsing (the idempotency fingerprint hashes it). */
    rawBody?: Buffer;
  }
}

export function registerJsonParser(app: FastifyInstance): void {
  // secure-json-parse underneath: __proto__ and constructor.prototype keys are refused.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers(); // Fastify's text/plain parser included: JSON is the only body

  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(badRequest('body is not valid UTF-8'), undefined);
    }
    if (text.trim() === '') return done(null, undefined);
    parseJson(request, text, done);
  });

  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    const type = request.headers['content-type'] ?? 'none';
    done(new AppError('UnsupportedMediaType', `Unsupported Media Type: ${type}; send the body as application/json`), undefined);
  });
}
