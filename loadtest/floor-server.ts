import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import Redis from 'ioredis';
import { AccessTokenService, closeRedis, loadConfig, mapError, RedisKeys, redisOptions, whenReady } from '@seckill/platform';
import { PURCHASE_URL, PurchaseTokens } from '@seckill/seckill';
import { StockService } from '@seckill/stock';
import { runForkedServer } from './lib/forked-server';

/**
 * The floor of an accepted purchase, for the seckill benchmark: `node dist/loadtest/floor-server.js`, configured from
 * the environment as the services are (JWT_SECRET, REDIS_URL, REDIS_KEY_PREFIX, …), selling activities of one stock
 * shard (the admin API's default). It does only the work no purchase can skip, with the seckill service's own
 * pieces and nothing around them: a raw node:http server reads and parses the JSON body, verifies the access token
 * (AccessTokenService, fast-jwt) and the purchase token (PurchaseTokens, an HMAC), makes the reservation's one Redis
 * call (StockService.reserve, the same Lua script on the same kind of prewarmed activity, through an ioredis client
 * with the services' options) and writes the 202 the service writes. No Nest, no Fastify, no limits, no metrics, no
 * journal: what the seckill service costs above this figure is all that its own code could still give back. Refusals
 * get the status of the error mapper (the bench sends none that should be refused). Listens on a free port of
 * 127.0.0.1 and reports it over the IPC channel, as bare-server.ts does.
 */
const JSON_TYPE = 'application/json; charset=utf-8';

async function start() {
  const config = loadConfig();
  const redis = new Redis(config.REDIS_URL, redisOptions(config.REDIS_COMMAND_TIMEOUT_MS));
  // Without its offline queue the connection refuses commands until it is ready: listen only once it is, as a service
  // starts its modules only then, or the first purchases get 503.
  if (!(await whenReady(redis, 30_000))) throw new Error('floor-server: Redis not ready within 30 s');
  const stock = new StockService(redis, new RedisKeys(config.REDIS_KEY_PREFIX));
  const accessTokens = new AccessTokenService(config);
  const purchaseTokens = new PurchaseTokens(config.JWT_SECRET, config.PURCHASE_TOKEN_TTL_SECONDS);

  const answer = (response: ServerResponse, status: number, body: string) => {
    response.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
    response.end(body);
  };
  const purchase = async (request: IncomingMessage, activityId: number, bytes: Buffer): Promise<[number, string]> => {
    const principal = accessTokens.authenticate(request.headers.authorization);
    const { token } = JSON.parse(bytes.toString('utf8')) as { token: string };
    const now = Date.now();
    purchaseTokens.verify(token, activityId, principal.userId, now);
    const outcome = await stock.reserve(activityId, 1, {
      userId: principal.userId,
      reservationId: randomUUID(),
      now,
      activityRateLimit: config.RATE_LIMIT_PER_ACTIVITY_PER_SECOND,
    });
    if (outcome.code !== 'OK') return [409, JSON.stringify({ code: outcome.code })];
    return [202, `{"reservationId":${JSON.stringify(outcome.reservationId)},"status":"QUEUED"}`];
  };

  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/health/ready') return answer(response, 200, '{"status":"up"}');
    const match = request.method === 'POST' ? PURCHASE_URL.exec(request.url ?? '') : null;
    if (match === null) return answer(response, 404, '{"code":"NOT_FOUND"}');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      purchase(request, Number(match[1]), Buffer.concat(chunks)).then(
        ([status, body]) => answer(response, status, body),
        (error: unknown) => {
          // A malformed body is a TypeError or SyntaxError here (no validation): 400, as the service answers it.
          const malformed = error instanceof TypeError || error instanceof SyntaxError;
          const mapped = malformed ? { status: 400, body: { code: 'VALIDATION_FAILED' } } : mapError(error);
          answer(response, mapped.status, JSON.stringify(mapped.body));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await closeRedis(redis);
  };
  return { server, close };
}

runForkedServer('floor-server', start);
