import Fastify from 'fastify';

/**
 * The baseline of the seckill benchmark: a bare fastify@5 server, in its own process, that answers the same
 * request the purchase endpoint gets (POST /api/activities/:id/purchase with a JSON body) with a small JSON and
 * no other work: no Nest, no auth, no validation, no Redis. Logging off. It listens on a free port of 127.0.0.1
 * and tells the parent which one over the IPC channel.
 */
async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  app.post('/api/activities/:id/purchase', async (_request, reply) => {
    reply.code(202);
    return { reservationId: 'bare', status: 'QUEUED' };
  });
  app.get('/health/ready', async () => ({ status: 'up' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (process.send) process.send({ port });
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`bare-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
