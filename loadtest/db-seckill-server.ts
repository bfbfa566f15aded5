import Fastify from 'fastify';
import { createVerifier } from 'fast-jwt';
import * as mariadb from 'mariadb';
import { poolConfigFromUrl } from '@seckill/platform';
import { runForkedServer } from './lib/forked-server';

/**
 * The straight-to-database seckill, the baseline the funnel (memory, Redis, a queue, then MySQL) exists to beat:
 * `node dist/loadtest/db-seckill-server.js`, a minimal Fastify server whose purchase handler verifies the access token
 * as the seckill service does (fast-jwt, HS256), then runs one transaction on MariaDB through the mariadb driver:
 * `UPDATE … SET stock = stock - 1 WHERE id = ? AND stock > 0`, then the order's INSERT (a unique key on activity and
 * user gives one unit per user), COMMIT. 202 when both happened, 410 SOLD_OUT when no unit was left, 409
 * ALREADY_PURCHASED on a second order of one user, 401 without a valid token. Its own two tables, created at start in
 * DATABASE_URL's database with BENCH_DB_STOCK units of activity 1. Reports its port over IPC.
 */
const STOCK = Number(process.env.BENCH_DB_STOCK ?? '1000000');
const POOL_SIZE = 10;
const JSON_TYPE = 'application/json; charset=utf-8';

async function start() {
  // The server and database as the services read them from a URL; the pool's other settings are the driver's own.
  const { host, port, user, password, database } = poolConfigFromUrl(process.env.DATABASE_URL ?? '', POOL_SIZE);
  const pool = mariadb.createPool({ host, port, user, password, database, connectionLimit: POOL_SIZE });
  await pool.query('CREATE TABLE IF NOT EXISTS bench_db_stock (id INT PRIMARY KEY, stock INT NOT NULL)');
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_db_orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, activity_id INT NOT NULL, ' +
      'user_id BIGINT NOT NULL, created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), UNIQUE KEY one_per_user (activity_id, user_id))',
  );
  await pool.query('INSERT INTO bench_db_stock (id, stock) VALUES (1, ?) ON DUPLICATE KEY UPDATE stock = stock', [STOCK]);
  const verify = createVerifier({ key: process.env.JWT_SECRET ?? '', algorithms: ['HS256'] });

  const app = Fastify({ logger: false });
  app.post('/api/activities/:id/purchase', async (request, reply) => {
    const header = request.headers.authorization;
    let userId: string;
    try {
      const claims = verify(typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '') as { sub?: unknown };
      if (typeof claims.sub !== 'string') throw new Error('no subject');
      userId = claims.sub;
    } catch {
      return reply.code(401).type(JSON_TYPE).send({ code: 'UNAUTHENTICATED', message: 'invalid token', retryable: false });
    }
    const activityId = Number((request.params as { id: string }).id);
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      const updated = (await connection.query('UPDATE bench_db_stock SET stock = stock - 1 WHERE id = ? AND stock > 0', [1])) as {
        affectedRows: number;
      };
      if (updated.affectedRows !== 1) {
        await connection.rollback();
        return reply.code(410).type(JSON_TYPE).send({ code: 'SOLD_OUT', message: 'sold out', retryable: false });
      }
      let inserted: { insertId: bigint | number };
      try {
        inserted = (await connection.query('INSERT INTO bench_db_orders (activity_id, user_id) VALUES (?, ?)', [activityId, userId])) as {
          insertId: bigint | number;
        };
      } catch (error) {
        await connection.rollback();
        if ((error as { errno?: number }).errno === 1062) {
          return reply.code(409).type(JSON_TYPE).send({ code: 'ALREADY_PURCHASED', message: 'one per user', retryable: false });
        }
        throw error;
      }
      await connection.commit();
      return reply.code(202).send({ reservationId: String(inserted.insertId), status: 'QUEUED' });
    } finally {
      await connection.release();
    }
  });
  app.get('/health/ready', async () => ({ status: 'up' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { server: app.server, close: () => app.close().then(() => pool.end()) };
}

runForkedServer('db-seckill-server', start);
