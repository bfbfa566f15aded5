import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { SwitchesService } from '@seckill/flow-control';
import { readPaymentBreakers } from '@seckill/payment-store';
import { REDIS, RedisKeys } from '@seckill/platform';
import type { BreakerSnapshot, BreakerStateSource } from './stats.service';

/** How bad each state is for shoppers paying now: the dashboard shows the worst over the payment instances. */
const SEVERITY: Record<string, number> = { CLOSED: 0, DISABLED: 1, HALF_OPEN: 2, OPEN: 3, FORCED_OPEN: 4 };

/**
 * The payment breakers as the payment instances last wrote them to Redis (each breaker is per process), with the
 * operator's `paymentBreaker` mode on top: FORCED_OPEN or DISABLED is what every instance obeys within a second.
 */
@Injectable()
export class PaymentBreakersSource implements BreakerStateSource {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly switches: SwitchesService,
  ) {}

  async read(): Promise<BreakerSnapshot | null> {
    const mode = this.switches.get('paymentBreaker');
    const entries = await readPaymentBreakers(this.redis, this.keys);
    if (entries.length === 0 && mode === 'AUTO') return null;
    const instances = entries.map(({ instance, state }) => ({ instance, state }));
    const worst = instances.reduce((state, entry) => ((SEVERITY[entry.state] ?? 0) > (SEVERITY[state] ?? 0) ? entry.state : state), 'CLOSED');
    return { state: mode === 'AUTO' ? worst : mode, instances };
  }
}
