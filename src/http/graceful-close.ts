// While the app closes, every answer tells its client to close the connection. Without this a
// keep-alive socket that carried an in-flight request stays open after its answer, and close()
// waits for it until the client's idle timeout.
import type { FastifyInstance } from 'fastify';

export function registerGracefulClose(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('Connection', 'close');
    done(null, payload);
  });
}
