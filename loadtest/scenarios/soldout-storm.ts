import { PurchaseTokens } from '@seckill/seckill';
import { runActors, Script } from '../lib/actors';
import { Check, checkInvariants, settledReconciliation } from '../lib/invariants';
import { CpuMeter } from '../lib/machine';
import { loadPart, PhaseReport } from '../lib/run-report';
import { LoadtestContext, mergeStatuses } from './context';
import { flash } from './flash';

interface Clicker {
  userId: string;
  authorization: string;
  body: string;
  mintedAt: number;
}

/** Purchase tokens are re-minted once this old (they live PURCHASE_TOKEN_TTL_SECONDS, 60 s by default). */
const REMINT_MS = 20_000;

/** Users of the storm: each clicks at most once every this many ms on average (the per-user limit is 5/s). */
const USERS = 20_000;

/**
 * `soldout-storm`: the activity after its sell-out, hammered with purchases for --duration seconds: shoppers who hold
 * a purchase token (minted here from JWT_SECRET as the token endpoint issues them, since it no longer issues any)
 * clicking on, as fast as the connections allow. Every answer must be 410 SOLD_OUT (or a shed 429/503), nothing may
 * change: no 202, no new order, stock and reconciliation as they were. Uses the sale of the phase before (`full`),
 * else sells out one first (a flash of 2 × --stock shoppers).
 */
export async function soldoutStorm(ctx: LoadtestContext): Promise<PhaseReport[]> {
  const phases: PhaseReport[] = [];
  if (!ctx.sale) {
    ctx.log('no sold-out activity yet: selling one out first');
    const setup: LoadtestContext = { ...ctx, options: { ...ctx.options, shoppers: ctx.options.stock * 2, frontDoor: false } };
    phases.push({ ...(await flash(setup)), name: 'flash (setup)' });
    ctx.sale = setup.sale;
  }
  const sale = ctx.sale!;
  const tokens = new PurchaseTokens(ctx.config.JWT_SECRET, ctx.config.PURCHASE_TOKEN_TTL_SECONDS);
  const now = Date.now();
  const mint = (userId: string, at: number) => JSON.stringify({ token: tokens.issue(sale.activityId, userId, at).token });
  const clickers: Clicker[] = ctx.users(USERS).map((user) => ({ ...user, body: mint(user.userId, now), mintedAt: now }));
  const ordersBefore = (await ctx.orders.orders(sale.activityId)).length;
  const path = `/api/activities/${sale.activityId}/purchase`;
  const script: Script<Clicker> = {
    step: (clicker) => {
      const at = Date.now();
      if (at - clicker.mintedAt > REMINT_MS) {
        clicker.body = mint(clicker.userId, at);
        clicker.mintedAt = at;
      }
      return { kind: 'purchase', method: 'POST', path, headers: { 'content-type': 'application/json', authorization: clicker.authorization }, body: clicker.body };
    },
    // Round robin over the users for as long as the storm lasts.
    answer: () => ({ again: true }),
    lost: () => ({ again: true }),
  };
  ctx.log(`storm on activity ${sale.activityId} for ${ctx.options.durationSeconds} s`);
  const cpu = new CpuMeter(ctx.pids);
  const result = await runActors({
    url: ctx.urls.seckill,
    connections: ctx.options.connections,
    actors: clickers,
    script,
    maxSeconds: ctx.options.durationSeconds,
    progress: ctx.options.progress,
    timeBound: true,
    label: 'soldout-storm',
    idlePath: `/api/activities/${sale.activityId}/stock`,
  });
  const cpuUse = cpu.read();
  mergeStatuses(sale.statuses, result.statuses);
  const orders = await ctx.orders.orders(sale.activityId);
  const reconciliation = await settledReconciliation(ctx.admin, sale.activityId);
  const purchase = result.statuses.purchase ?? {};
  const refused = Object.entries(result.codes.purchase ?? {});
  const checks: Check[] = [
    { name: 'no purchase accepted after the sell-out', ok: !purchase['202'], detail: `${purchase['202'] ?? 0} answers 202` },
    {
      name: 'every answer SOLD_OUT (or shed)',
      ok: refused.every(([code]) => ['SOLD_OUT', 'RATE_LIMITED', 'BUSY', 'DEGRADED'].includes(code)),
      detail: refused.map(([code, n]) => `${code}×${n}`).join(', '),
    },
    { name: 'no new order', ok: orders.length === ordersBefore, detail: `${ordersBefore} orders before the storm, ${orders.length} after` },
    ...checkInvariants({ stock: sale.stock, winners: new Set(sale.winners.map((w) => w.userId)), orders, reconciliation, statuses: sale.statuses }),
  ];
  const part = loadPart(result);
  phases.push({
    name: 'soldout-storm',
    activityId: sale.activityId,
    settings: { connections: ctx.options.connections, durationSeconds: ctx.options.durationSeconds, users: USERS },
    ...part,
    cpu: cpuUse,
    facts: { 'purchase p50 (ms)': result.statuses.purchase ? part.latency.purchase?.p50 ?? null : null, 'purchase p99 (ms)': part.latency.purchase?.p99 ?? null },
    checks,
    marks: [],
  });
  return phases;
}
