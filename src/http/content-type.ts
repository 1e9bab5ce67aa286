// Bodies are JSON (any charset parameter); any other media type on a request with a body → 415.
// A request without a body may carry Content-Type: application/json (clients send it on GET and
// DELETE), so an empty JSON body parses as "no body" instead of failing.
import type { FastifyInstance } from 'fastify';

export function registerJsonParser(app: FastifyInstance): void {
  // secure-json-parse underneath: __proto__ and constructor.prototype keys are refused.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers(); // Fastify's text/plain parser included: JSON is the only body
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    parseJson(request, text, done);
  });
}
