import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { ActivityRecord, ActivityRepository } from '@seckill/activities';
import { orderTimeoutJobs, QUEUES } from '@seckill/contracts';
import { OrderRepository } from '@seckill/order-store';
import { bullConnection, createPrismaClient, loadConfig, RedisKeys } from '@seckill/platform';
import { heldOrders, StockService } from '@seckill/stock';

/**
 * Rebuilds activities' hot state in Redis from MySQL, after Redis lost its data (a flush, a restart without
 * persistence, a failover to a replica that lagged):
 *
 *   npm run redis:rebuild -- --activity 12 [--activity 13 …]
 *   npm run redis:rebuild -- --all          # every activity that has not ended
 *
 * For each activity: remaining = stock − orders not cancelled, a holder and a CREATED reservation per such order
 * (so its shopper's result shows the order and cannot buy twice), the activity back in the relay's and sweeper's live
 * set, the sold-out news (units may be back on sale), and the payment timeouts of the unpaid orders (their delayed
 * jobs were lost with the queues). Idempotent: on an activity Redis still holds it only adds what is missing.
 * 202s whose reservations were lost before they became orders cannot be rebuilt (only Redis had them): the seckill
 * instance that accepted each one reports it within about 20 s (reconciliation lists them, the shopper's result
 * reads FAILED); the command prints those reported so far.
 */
export async function rebuild(argv: string[], print: (line: string) => void): Promise<void> {
  const config = loadConfig();
  const all = argv.includes('--all');
  const ids = argv.flatMap((arg, i) => (arg === '--activity' ? [Number(argv[i + 1])] : []));
  if ((!all && ids.length === 0) || ids.some((id) => !Number.isInteger(id) || id <= 0)) {
    throw new Error('usage: npm run redis:rebuild -- --activity <id> [--activity <id> …] | --all');
  }
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
  const core = createPrismaClient(config.DATABASE_URL, 2);
  const shards = config.ORDER_SHARD_URLS.map((url) => createPrismaClient(url, 2));
  const timeouts = new Queue(QUEUES.orderTimeout, { connection: bullConnection(config), prefix: keys.bullPrefix });
  try {
    const stock = new StockService(redis, keys);
    const orders = new OrderRepository(config, shards);
    const activities = new ActivityRepository(core);
    let targets: ActivityRecord[];
    if (all) {
      targets = await activities.findStartingBefore(new Date(8.64e15), new Date());
    } else {
      targets = [];
      for (const id of ids) {
        const activity = await activities.findById(id);
        if (!activity) throw new Error(`no activity ${id}`);
        targets.push(activity);
      }
    }
    for (const activity of targets) {
      const rows = await orders.listByActivity(activity.id, ['PENDING_PAYMENT', 'PAID']);
      const held = heldOrders(rows);
      const outcome = await stock.restore(activity, held, 'rebuild');
      const remaining = outcome.remaining ?? 0;
      await stock.announceSoldOut(activity.id, remaining === 0);
      const unpaid = rows.filter((row) => row.status === 'PENDING_PAYMENT');
      const jobs = orderTimeoutJobs(activity.id, unpaid.map((row) => ({ id: row.id, expiresAt: row.expires_at })));
      if (jobs.length > 0) await timeouts.addBulk(jobs);
      const lost = await stock.lost(activity.id);
      print(
        `activity ${activity.id}: stock ${activity.stock}, ${held.length} orders not cancelled ` +
          `(${unpaid.length} unpaid, ${held.length - unpaid.length} paid) → ${remaining} remaining; ` +
          `${outcome.loaded ? 'loaded from MySQL' : 'was in Redis'}, ${outcome.added} holder(s) restored` +
          (outcome.short > 0 ? `, ${outcome.short} unit(s) SHORT: sold beyond the stock` : '') +
          `; ${jobs.length} payment-timeout job(s) scheduled for the unpaid orders`,
      );
      print(
        `activity ${activity.id}: ${lost.length} accepted reservation(s) reported lost so far` +
          (lost.length > 0 ? `: ${lost.slice(0, 10).map((r) => `${r.reservationId} (user ${r.userId})`).join(', ')}${lost.length > 10 ? ', …' : ''}` : '') +
          `; see GET /api/admin/reconciliation?activityId=${activity.id}`,
      );
    }
    if (targets.length === 0) print('no activity to rebuild');
  } finally {
    await timeouts.close();
    await Promise.allSettled([core, ...shards].map((client) => client.$disconnect()));
    redis.disconnect();
  }
}

if (require.main === module) {
  rebuild(process.argv.slice(2), (line) => process.stdout.write(`redis:rebuild: ${line}\n`)).catch((error: unknown) => {
    process.stderr.write(`redis:rebuild: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
