// How the bench's bare node:http children (the baseline, the store floor) listen and stop: on the
// PORT and HOST the bench gives them, with the server's keep-alive window so that neither side
// closes idle connections mid-run, and at once on SIGTERM or SIGINT.
import type http from 'node:http';

export function listenUntilSignalled(server: http.Server): void {
  server.keepAliveTimeout = 72_000;
  server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
