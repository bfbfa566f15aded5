import { randomBytes } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { PROVIDER_HEADERS, ProviderEvent, ProviderFaults } from '@seckill/contracts';
import { signWebhook } from '@seckill/payment-store';
import { AppConfig, MetricsService } from '@seckill/platform';

/** First retry after this long; each retry waits twice as long as the one before, up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;
/** A notification nobody acknowledged for a day is given up (and logged), as providers do. */
const GIVE_UP_AFTER_MS = 24 * 3600_000;
const DELIVERY_TIMEOUT_MS = 5000;

interface Delivery {
  event: ProviderEvent;
  body: string;
  signature: string;
  firstAt: number;
  attempt: number;
}

/**
 * Delivers paysim's notifications to the merchant's callback URL the way real providers do: asynchronously, signed
 * (HMAC-SHA256 of the exact body), retried with exponential backoff until a 2xx acknowledges them, and, when the
 * faults say so, twice or out of order. In memory: a restarted paysim forgets undelivered notifications.
 */
@Injectable()
export class CallbackDispatcher implements OnApplicationShutdown {
  private readonly logger = new Logger('paysim-callbacks');
  private readonly timers = new Set<NodeJS.Timeout>();
  private held: Array<{ delivery: Delivery; delayMs: number }> = [];
  private closed = false;
  private readonly outcomes;

  constructor(
    private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter('paysim_callback_deliveries_total', 'Notification delivery attempts by outcome', ['outcome']);
  }

  /** Makes a notification of `event` and sends it (maybe twice, maybe late) as the faults say. */
  notify(type: ProviderEvent['type'], fields: Omit<ProviderEvent, 'eventId' | 'type' | 'occurredAt'>, faults: ProviderFaults): void {
    const event: ProviderEvent = { eventId: `ev_${randomBytes(8).toString('hex')}`, type, ...fields, occurredAt: new Date().toISOString() };
    const body = JSON.stringify(event);
    const make = (): Delivery => ({ event, body, signature: signWebhook(this.config.PAYMENT_WEBHOOK_SECRET, body), firstAt: Date.now(), attempt: 0 });
    this.enqueue(make(), faults, faults.callbackDelayMs);
    if (faults.duplicateRate > 0 && Math.random() < faults.duplicateRate) {
      this.enqueue(make(), faults, faults.callbackDelayMs + faults.duplicateDelayMs);
    }
  }

  onApplicationShutdown(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private enqueue(delivery: Delivery, faults: ProviderFaults, delayMs: number): void {
    if (faults.reorderWindowMs > 0) {
      // Held with whatever else comes within the window, then delivered newest first.
      if (this.held.length === 0) {
        this.later(faults.reorderWindowMs, () => {
          const batch = this.held.reverse();
          this.held = [];
          for (const held of batch) this.later(held.delayMs, () => void this.deliver(held.delivery));
        });
      }
      this.held.push({ delivery, delayMs });
      return;
    }
    this.later(delayMs, () => void this.deliver(delivery));
  }

  private async deliver(delivery: Delivery): Promise<void> {
    if (this.closed) return;
    delivery.attempt++;
    let problem: string;
    try {
      const response = await fetch(this.config.PAYSIM_CALLBACK_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [PROVIDER_HEADERS.signature]: delivery.signature },
        body: delivery.body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        this.outcomes.inc({ outcome: 'acknowledged' });
        return;
      }
      problem = `answered ${response.status}`;
    } catch (error) {
      problem = (error as Error).message;
    }
    this.outcomes.inc({ outcome: 'retried' });
    if (Date.now() - delivery.firstAt > GIVE_UP_AFTER_MS) {
      this.outcomes.inc({ outcome: 'given_up' });
      this.logger.error(`giving up notification ${delivery.event.eventId} (${delivery.event.type} ${delivery.event.chargeId}): ${problem}`);
      return;
    }
    const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (delivery.attempt - 1));
    // Jitter, so that notifications failed together do not all come back together.
    const wait = Math.round(backoff * (0.75 + Math.random() * 0.5));
    if (delivery.attempt === 1) this.logger.warn(`notification ${delivery.event.eventId} ${problem}; retrying with backoff`);
    this.later(wait, () => void this.deliver(delivery));
  }

  private later(ms: number, run: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
