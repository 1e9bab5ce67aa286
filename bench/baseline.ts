// The baseline: a bare node:http server that reads the whole request and answers a fixed JSON body
// the size of a customer detail. It is what "as fast as Node can answer" means on this machine,
// so each scenario's figure is reported as a ratio to it.
import http from 'node:http';
import { listenUntilSignalled } from './bare-server.js';

const BODY = JSON.stringify({
  ok: true,
  result: {
    id: '0b6f2c1e-4d7a-4c55-9a55-2f0c7f3e8a11',
    externalId: 'bench-baseline-000001',
    name: 'Bench customer 000001',
    created: '2026-01-01T00:00:00.000Z',
    updated: '2026-01-01T00:00:00.000Z',
    keysets: [{ id: 1, assignedAt: '2026-01-01T00:00:00.000Z' }],
  },
});
const LENGTH = String(Buffer.byteLength(BODY));

if (process.env.BASELINE_FRAMEWORK === 'fastify') {
  // The framework floor: Fastify with nothing added (no hooks, no schemas, no store) answering the
  // same body. Its ratio to the bare server bounds what any Fastify route here can reach.
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ keepAliveTimeout: 72_000 });
  app.all('/*', async (_request, reply) => reply.header('Content-Type', 'application/json; charset=utf-8').send(BODY));
  await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
  const close = () => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
} else {
  startBare();
}

function startBare(): void {
const server = http.createServer((req, res) => {
  // Read the body to its end, as the server must, so a POST costs both the same on the wire.
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': LENGTH });
    res.end(BODY);
  });
});
listenUntilSignalled(server);
}
