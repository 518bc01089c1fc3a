// Reference point for bench:overhead: the thinnest fastify + undici pass-through (parse, forward, relay).
// Not Sluice: it shows what the stack itself costs on this machine, so Sluice's figures can be read against it.
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstream = process.argv[2]!;
const port = Number(process.argv[3]);
const pool = new Pool(upstream, { connections: 64 });
const app = Fastify({ bodyLimit: 32 * 1024 * 1024 });
app.post('/v1/chat/completions', async (request, reply) => {
  const res = await pool.request({
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request.body),
  });
  reply.code(res.statusCode).header('content-type', String(res.headers['content-type']));
  return reply.send(res.body);
});
await app.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', () => process.exit(0));
