import { join } from 'node:path';
import * as mariadb from 'mariadb';
import { dropDatabase, ensureDatabase, poolConfigFromUrl } from '@seckill/platform';
import { runActors, Script } from '../lib/actors';
import { Check } from '../lib/invariants';
import { CpuMeter } from '../lib/machine';
import { forkListening, stopChild } from '../lib/processes';
import { loadPart, PhaseReport } from '../lib/run-report';
import { LoadtestContext } from './context';

/** A shopper of the straight-to-database sale: one purchase, retried only when it got no answer. */
interface DbShopper {
  userId: string;
  authorization: string;
  attempts: number;
  outcome?: 'WON' | 'SOLD_OUT' | 'ALREADY_PURCHASED' | 'GAVE_UP' | `HTTP_${number}`;
  wonAt?: number;
}

const MAX_ATTEMPTS = 5;

/**
 * `flash-db`: the same spike as `flash` (N shoppers, S units, the same connections) against the straight-to-database
 * seckill, the design the funnel exists to beat: `db-seckill-server.ts` (Fastify, the access token verified as the
 * seckill service does, then `UPDATE … SET stock = stock - 1 WHERE … AND stock > 0` and the order's INSERT in one
 * MariaDB transaction). It runs beside the stack on this machine, in a database of its own on the stack's MariaDB
 * (created for the phase and dropped after it). There is no purchase token and no queue: every shopper sends one
 * purchase, and an accepted one is already an order. The invariants: no oversell, one order per user, every 202 an
 * order.
 */
export async function flashDb(ctx: LoadtestContext): Promise<PhaseReport> {
  const { options } = ctx;
  const dbUrl = new URL(ctx.config.DATABASE_URL);
  dbUrl.pathname = `/seckill_flashdb_${Date.now().toString(36)}`;
  await ensureDatabase(dbUrl.toString());
  const target = poolConfigFromUrl(dbUrl.toString(), 1);
  const db = await mariadb.createConnection({ host: target.host, port: target.port, user: target.user, password: target.password, database: target.database });
  let server: Awaited<ReturnType<typeof forkListening>> | undefined;
  try {
    server = await forkListening('db-seckill', join(__dirname, '..', 'db-seckill-server.js'), 30_000, [], {
      ...process.env,
      DATABASE_URL: dbUrl.toString(),
      JWT_SECRET: ctx.config.JWT_SECRET,
      BENCH_DB_STOCK: String(options.stock),
    });
    ctx.log(`minting ${options.shoppers} shoppers' access tokens for the straight-to-database sale (${options.stock} units)`);
    const shoppers: DbShopper[] = ctx.users(options.shoppers).map((user) => ({ ...user, attempts: 0 }));
    const script: Script<DbShopper> = {
      step: (shopper) => ({
        kind: 'purchase',
        method: 'POST',
        path: '/api/activities/1/purchase',
        headers: { authorization: shopper.authorization, 'content-type': 'application/json' },
        body: '{"token":"-"}',
      }),
      answer: (shopper, status, body) => {
        shopper.attempts++;
        if (status === 202) {
          shopper.outcome = 'WON';
          shopper.wonAt = Date.now();
        } else {
          let code: string | undefined;
          try {
            code = (JSON.parse(body) as { code?: string }).code;
          } catch {
            code = undefined;
          }
          shopper.outcome = code === 'SOLD_OUT' || code === 'ALREADY_PURCHASED' ? code : `HTTP_${status}`;
        }
        return { done: true };
      },
      lost: (shopper) => {
        shopper.attempts++;
        if (shopper.attempts < MAX_ATTEMPTS) return { waitMs: 100 * 2 ** shopper.attempts };
        shopper.outcome = 'GAVE_UP';
        return { done: true };
      },
    };
    const cpu = new CpuMeter({ ...ctx.pids, 'straight-to-database server': server.child.process.pid ?? 0 });
    const startedAt = Date.now();
    const result = await runActors({
      url: `http://127.0.0.1:${server.port}`,
      connections: options.connections,
      actors: shoppers,
      script,
      maxSeconds: options.maxSeconds,
      progress: options.progress,
      label: 'flash-db',
      idlePath: '/health/ready',
    });
    const cpuUse = cpu.read();
    const winners = shoppers.filter((shopper) => shopper.outcome === 'WON');
    const outcomes: Record<string, number> = {};
    for (const shopper of shoppers) outcomes[shopper.outcome ?? 'UNFINISHED'] = (outcomes[shopper.outcome ?? 'UNFINISHED'] ?? 0) + 1;
    const lastWonAt = Math.max(startedAt, ...winners.map((shopper) => shopper.wonAt ?? 0));

    const [orders] = (await db.query('SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM bench_db_orders')) as Array<{
      n: bigint;
      users: bigint;
    }>;
    const [row] = (await db.query('SELECT stock FROM bench_db_stock WHERE id = 1')) as Array<{ stock: number }>;
    const orderCount = Number(orders.n);
    const distinctUsers = Number(orders.users);
    const serverErrors = Object.values(result.statuses).reduce(
      (sum, byStatus) => sum + Object.entries(byStatus).reduce((n, [status, count]) => n + (Number(status) >= 500 ? count : 0), 0),
      0,
    );
    const checks: Check[] = [
      {
        name: 'no oversell',
        ok: orderCount <= options.stock && row.stock === options.stock - orderCount && row.stock >= 0,
        detail: `${orderCount} orders, stock row ${row.stock} of ${options.stock}`,
      },
      { name: 'one per user', ok: distinctUsers === orderCount, detail: `${distinctUsers} users, ${orderCount} orders` },
      { name: 'every 202 is an order', ok: winners.length === orderCount, detail: `${winners.length} answered 202, ${orderCount} orders` },
      { name: 'no 5xx', ok: serverErrors === 0, detail: `${serverErrors} answers 500-599` },
      {
        name: 'every shopper got a final answer',
        ok: result.unfinished === 0 && !outcomes.GAVE_UP,
        detail: `${result.unfinished} unfinished when the run stopped, ${outcomes.GAVE_UP ?? 0} gave up`,
      },
    ];
    if (options.shoppers >= options.stock * 2) {
      checks.push({ name: 'sold out', ok: winners.length === options.stock, detail: `${winners.length} of ${options.stock} units sold` });
    }
    const part = loadPart(result);
    const purchase = part.latency.purchase;
    ctx.log(`flash-db over in ${((result.endedAt - result.startedAt) / 1000).toFixed(1)} s: ${winners.length} won; outcomes ${JSON.stringify(outcomes)}`);
    return {
      name: 'flash-db (straight to the database)',
      settings: { shoppers: options.shoppers, stock: options.stock, connections: options.connections },
      ...part,
      cpu: cpuUse,
      facts: {
        'units sold': winners.length,
        'time to sell out (s, first request → last 202)': winners.length > 0 ? (lastWonAt - startedAt) / 1000 : null,
        'purchase p50 (ms)': purchase?.p50 ?? null,
        'purchase p99 (ms)': purchase?.p99 ?? null,
        'shopper outcomes': Object.entries(outcomes).map(([key, n]) => `${key}×${n}`).join(', '),
      },
      checks,
      marks: winners.length > 0 ? [{ at: (lastWonAt - result.startedAt) / 1000, label: 'last 202' }] : [],
    };
  } finally {
    if (server) await stopChild(server.child);
    await db.end();
    await dropDatabase(dbUrl.toString());
  }
}
