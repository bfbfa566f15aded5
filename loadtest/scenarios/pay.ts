import { PROVIDER_HEADERS, PROVIDER_PATHS } from '@seckill/contracts';
import { Next, runActors, Script } from '../lib/actors';
import { Check, checkInvariants, settledReconciliation } from '../lib/invariants';
import { CpuMeter } from '../lib/machine';
import { loadPart, PhaseReport } from '../lib/run-report';
import { backoffMs } from '../lib/shopper';
import { requestJson } from '../lib/stack';
import { LoadtestContext, mergeStatuses } from './context';
import { flash } from './flash';

interface Payer {
  userId: string;
  authorization: string;
  orderId: string;
  idempotencyKey: string;
  attempts: number;
  outcome?: string;
}

const MAX_ATTEMPTS = 200;

/**
 * `pay`: every winner of the last sale pays for its order while paysim fails --fail-share of its calls (its fault API,
 * PUT /provider/faults {failureRate} with X-Provider-Admin-Key). A payer retries PAYMENT_UNAVAILABLE (the provider
 * failing, the breaker open, the outbound bucket empty) after Retry-After, with the same Idempotency-Key. Afterwards
 * every order must be PAID, once, and reconciliation (Redis, MySQL, the provider's ledger) consistent. The faults are
 * reset however the phase ends. Without a sale before it (`full`), sells one out first.
 */
export async function pay(ctx: LoadtestContext): Promise<PhaseReport[]> {
  const phases: PhaseReport[] = [];
  if (!ctx.sale) {
    ctx.log('no sale yet: selling one out first');
    const setup: LoadtestContext = { ...ctx, options: { ...ctx.options, shoppers: ctx.options.stock * 2, frontDoor: false } };
    phases.push({ ...(await flash(setup)), name: 'flash (setup)' });
    ctx.sale = setup.sale;
  }
  const sale = ctx.sale!;
  const orders = await ctx.orders.orders(sale.activityId);
  const orderOf = new Map(orders.filter((order) => order.status === 'PENDING_PAYMENT').map((order) => [order.userId, order.id]));
  const payers: Payer[] = sale.winners
    .filter((winner) => orderOf.has(winner.userId))
    .map((winner) => ({ userId: winner.userId, authorization: winner.authorization, orderId: orderOf.get(winner.userId)!, idempotencyKey: `loadtest-${winner.userId}`, attempts: 0 }));

  const faults = `${ctx.urls.paysim}${PROVIDER_PATHS.faults}`;
  const adminKey = { [PROVIDER_HEADERS.adminKey]: ctx.config.PROVIDER_ADMIN_KEY };
  await requestJson(faults, 'setting paysim faults', { method: 'PUT', headers: adminKey, body: { failureRate: ctx.options.failShare } });
  ctx.log(`${payers.length} winners pay while paysim fails ${Math.round(ctx.options.failShare * 100)}% of calls`);
  const retryAfter = (headers: Record<string, string | string[]>) => {
    const value = Number(headers['retry-after']);
    return Number.isFinite(value) ? value * 1000 : undefined;
  };
  const script: Script<Payer> = {
    step: (payer) => ({
      kind: 'payment',
      method: 'POST',
      path: '/api/payments',
      headers: { 'content-type': 'application/json', authorization: payer.authorization, 'idempotency-key': payer.idempotencyKey },
      body: JSON.stringify({ orderId: payer.orderId }),
    }),
    answer: (payer, status, body, headers): Next => {
      let answer: { status?: string; code?: string; retryable?: boolean } = {};
      try {
        answer = JSON.parse(body) as typeof answer;
      } catch {
        // not JSON: handled as a failure below
      }
      if ((status === 200 || status === 201) && answer.status === 'SUCCEEDED') {
        payer.outcome = 'PAID';
        return { done: true };
      }
      if ((status === 200 || status === 201) && answer.status === 'FAILED') {
        // Declined (a business outcome): the order stays payable, a new payment takes a new key.
        payer.idempotencyKey = `loadtest-${payer.userId}-${payer.attempts}`;
      } else if (status < 500 && status >= 400 && !answer.retryable) {
        payer.outcome = answer.code ?? `HTTP_${status}`;
        return { done: true };
      }
      // PENDING (outcome unknown: the next attempt charges it again, once), 503 PAYMENT_UNAVAILABLE, 429, 5xx.
      if (++payer.attempts > MAX_ATTEMPTS) {
        payer.outcome = 'GAVE_UP';
        return { done: true };
      }
      return { waitMs: backoffMs(payer.attempts, retryAfter(headers)) };
    },
    lost: (payer) => ({ waitMs: backoffMs(++payer.attempts, undefined) }),
  };
  const cpu = new CpuMeter(ctx.pids);
  let result;
  try {
    result = await runActors({
      url: ctx.urls.payment,
      connections: Math.min(ctx.options.connections, Math.max(1, payers.length)),
      actors: payers,
      script,
      maxSeconds: ctx.options.maxSeconds,
      progress: ctx.options.progress,
      label: 'pay',
      idlePath: '/health/live',
    });
  } finally {
    await requestJson(faults, 'resetting paysim faults', { method: 'PUT', headers: adminKey, body: {} }).catch((error: unknown) => ctx.log(String(error)));
  }
  const cpuUse = cpu.read();
  mergeStatuses(sale.statuses, result.statuses);
  // Settlements may still be arriving (the provider's notifications): reconciliation is asked until it is consistent.
  const reconciliation = await settledReconciliation(ctx.admin, sale.activityId, 30_000);
  const after = await ctx.orders.orders(sale.activityId);
  const outcomes: Record<string, number> = {};
  for (const payer of payers) outcomes[payer.outcome ?? 'UNFINISHED'] = (outcomes[payer.outcome ?? 'UNFINISHED'] ?? 0) + 1;
  const paid = after.filter((order) => order.status === 'PAID').length;
  const checks: Check[] = [
    { name: 'every winner paid', ok: outcomes.PAID === payers.length, detail: Object.entries(outcomes).map(([key, n]) => `${key}×${n}`).join(', ') },
    { name: 'every payer\'s order PAID', ok: paid === payers.length, detail: `${paid} orders PAID of ${payers.length} payers` },
    {
      name: "provider's ledger: one standing charge per paid order",
      ok: reconciliation.ledger.charged === paid,
      detail: `${reconciliation.ledger.charged} charges standing, ${reconciliation.ledger.refunded} refunded, ${paid} orders PAID`,
    },
    ...checkInvariants({ stock: sale.stock, winners: new Set(sale.winners.map((w) => w.userId)), orders: after, reconciliation, statuses: sale.statuses }),
  ];
  const part = loadPart(result);
  phases.push({
    name: 'pay',
    activityId: sale.activityId,
    settings: { payers: payers.length, failShare: ctx.options.failShare, connections: Math.min(ctx.options.connections, payers.length) },
    ...part,
    cpu: cpuUse,
    facts: {
      'payments/s (paid orders / phase duration)': paid / Math.max(part.durationSeconds, 0.001),
      'payment p50 (ms)': part.latency.payment?.p50 ?? null,
      'payment p99 (ms)': part.latency.payment?.p99 ?? null,
      'PAYMENT_UNAVAILABLE answers (retried)': result.codes.payment?.PAYMENT_UNAVAILABLE ?? 0,
      'payer outcomes': Object.entries(outcomes).map(([key, n]) => `${key}×${n}`).join(', '),
    },
    checks,
    marks: [],
  });
  return phases;
}
