import { runActors } from '../lib/actors';
import { checkInvariants, Check, settledReconciliation, waitForDrain } from '../lib/invariants';
import { CpuMeter } from '../lib/machine';
import { loadPart, PhaseReport } from '../lib/run-report';
import { Shopper, shopperScript } from '../lib/shopper';
import { FrontDoorSettings } from '../lib/stack';
import { LoadtestContext, mergeStatuses } from './context';

/** Time between creating the activity and its start: enough to prewarm it and for seckill to learn of it. */
const LEAD_MS = 3000;
const MAX_ATTEMPTS = 60;

/**
 * `flash`: N shoppers hit an activity of S units at its start instant. Each fetches a purchase token and purchases
 * (through the waiting room and the proof-of-work with --front-door on), retrying what is retryable; then the
 * orders are awaited (every 202 must become an order) and the invariants checked.
 */
export async function flash(ctx: LoadtestContext): Promise<PhaseReport> {
  const { options } = ctx;
  const frontDoor: FrontDoorSettings = options.frontDoor
    ? {
        waitingRoom: { enabled: true, admitPerSecond: options.admitPerSecond },
        staggerSeconds: options.staggerSeconds,
        challengeDifficulty: options.challengeDifficulty,
      }
    : {};
  ctx.log(`minting ${options.shoppers} shoppers' access tokens`);
  const shoppers: Shopper[] = ctx.users(options.shoppers).map((user) => ({
    ...user,
    phase: options.frontDoor ? 'join' : 'token',
    attempts: 0,
    challengeFailures: 0,
  }));
  const startAt = new Date(Date.now() + LEAD_MS);
  const activity = await ctx.admin.createActivity({
    title: `Load test: flash, ${options.shoppers} shoppers for ${options.stock} units`,
    stock: options.stock,
    startAt,
    endAt: new Date(startAt.getTime() + 3600_000),
    ...frontDoor,
  });
  ctx.log(`activity ${activity.id} created and prewarmed (${activity.remaining} units), on sale at ${startAt.toISOString()}`);
  const wait = startAt.getTime() - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));

  const cpu = new CpuMeter(ctx.pids);
  const result = await runActors({
    url: ctx.urls.seckill,
    connections: options.connections,
    actors: shoppers,
    script: shopperScript({ activityId: activity.id, waitingRoom: options.frontDoor, challenge: options.frontDoor && options.challengeDifficulty > 0, maxAttempts: MAX_ATTEMPTS }),
    maxSeconds: options.maxSeconds,
    progress: options.progress,
    label: 'flash',
    idlePath: `/api/activities/${activity.id}/stock`,
  });
  const cpuUse = cpu.read();
  const winners = shoppers.filter((shopper) => shopper.outcome === 'WON');
  const outcomes: Record<string, number> = {};
  for (const shopper of shoppers) outcomes[shopper.outcome ?? 'UNFINISHED'] = (outcomes[shopper.outcome ?? 'UNFINISHED'] ?? 0) + 1;
  const lastWonAt = Math.max(startAt.getTime(), ...winners.map((shopper) => shopper.wonAt ?? 0));
  ctx.log(`flash over in ${((result.endedAt - result.startedAt) / 1000).toFixed(1)} s: ${winners.length} won; outcomes ${JSON.stringify(outcomes)}; waiting for the orders`);

  const drainStarted = Date.now();
  const drain = await waitForDrain(ctx.orders, activity.id, winners.length, lastWonAt, options.drainTimeoutSeconds * 1000);
  const drainWaitMs = Date.now() - drainStarted;
  const reconciliation = await settledReconciliation(ctx.admin, activity.id);
  const statuses: Record<string, Record<string, number>> = {};
  mergeStatuses(statuses, result.statuses);
  ctx.sale = { activityId: activity.id, stock: options.stock, winners, statuses };

  const checks: Check[] = checkInvariants({
    stock: options.stock,
    winners: new Set(winners.map((shopper) => shopper.userId)),
    orders: drain.orders,
    reconciliation,
    statuses,
  });
  checks.push({
    name: 'every shopper got a final answer',
    ok: result.unfinished === 0 && !outcomes.GAVE_UP,
    detail: `${result.unfinished} unfinished when the run stopped, ${outcomes.GAVE_UP ?? 0} gave up after ${MAX_ATTEMPTS} retries`,
  });
  if (options.shoppers >= options.stock * 2 && !options.frontDoor) {
    checks.push({ name: 'sold out', ok: winners.length === options.stock, detail: `${winners.length} of ${options.stock} units sold to ${options.shoppers} shoppers` });
  }
  const part = loadPart(result);
  const purchase = part.latency.purchase;
  return {
    name: 'flash',
    activityId: activity.id,
    settings: { shoppers: options.shoppers, stock: options.stock, connections: options.connections, frontDoor: options.frontDoor ? frontDoor : 'off' },
    ...part,
    cpu: cpuUse,
    facts: {
      'units sold': winners.length,
      'time to sell out (s, start → last 202)': winners.length > 0 ? (lastWonAt - startAt.getTime()) / 1000 : null,
      'purchase p50 (ms)': purchase?.p50 ?? null,
      'purchase p99 (ms)': purchase?.p99 ?? null,
      'drain time (s, last 202 → last order written)': drain.drainMs === undefined ? null : drain.drainMs / 1000,
      'drain waited (s, from the end of the load)': drainWaitMs / 1000,
      'orders/s drained (orders / first→last created_at)': drain.ordersPerSecond ?? null,
      'shopper outcomes': Object.entries(outcomes).map(([key, n]) => `${key}×${n}`).join(', '),
      '503 answers (shed, retried)': Object.values(result.statuses).reduce((sum, byStatus) => sum + (byStatus['503'] ?? 0), 0),
      '429 answers (rate limited, retried)': Object.values(result.statuses).reduce((sum, byStatus) => sum + (byStatus['429'] ?? 0), 0),
    },
    checks,
    marks: winners.length > 0 ? [{ at: (lastWonAt - result.startedAt) / 1000, label: 'last 202' }] : [],
  };
}
