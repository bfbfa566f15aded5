import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { ActivityRepository } from '@seckill/activities';
import { AppConfig, MetricsService } from '@seckill/platform';
import { ReconciliationService } from './reconciliation.service';

/** Activities that ended this long ago are no longer reconciled on the schedule (the API still does it on demand). */
const KEEP_CHECKING_AFTER_END_MS = 24 * 3600_000;

/**
 * Reconciles every activity that has started (and ended less than a day ago) every RECONCILIATION_INTERVAL_MS, logs
 * what does not match and exports `reconciliation_mismatches{activity}`, so that an alert can fire on a lasting
 * mismatch. Read-only: every admin instance may run it.
 */
@Injectable()
export class ReconciliationScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('reconciliation');
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly mismatches: Gauge<'activity'>;
  private readonly runs: Counter<'outcome'>;

  constructor(
    private readonly config: AppConfig,
    private readonly activities: ActivityRepository,
    private readonly reconciliation: ReconciliationService,
    metrics: MetricsService,
  ) {
    this.mismatches = new Gauge({
      name: 'reconciliation_mismatches',
      help: 'Mismatches the last scheduled reconciliation found, per activity',
      labelNames: ['activity'],
      registers: [metrics.registry],
    });
    this.runs = metrics.counter('reconciliation_runs_total', 'Scheduled reconciliations of one activity, by outcome', ['outcome']);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.RECONCILIATION_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One round over the activities (also what the timer runs). */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const now = Date.now();
      const due = (await this.activities.findAll()).filter(
        (a) => a.startAt <= now && a.endAt > now - KEEP_CHECKING_AFTER_END_MS,
      );
      for (const activity of due) {
        try {
          const result = await this.reconciliation.reconcile(activity.id);
          this.mismatches.set({ activity: String(activity.id) }, result.mismatches.length);
          this.runs.inc({ outcome: result.consistent ? 'consistent' : 'mismatch' });
          if (!result.consistent) this.logger.warn(`activity ${activity.id}: ${result.mismatches.join('; ')}`);
        } catch (error) {
          this.runs.inc({ outcome: 'error' });
          this.logger.warn(`activity ${activity.id}: reconciliation failed: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      this.logger.warn(`reconciliation round failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
