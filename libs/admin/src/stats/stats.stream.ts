import { Injectable, Logger, MessageEvent } from '@nestjs/common';
import { catchError, defer, EMPTY, exhaustMap, map, Observable, share, timer } from 'rxjs';
import { StatsService } from './stats.service';

const EVERY_MS = 1000;

/**
 * One snapshot a second, shared by every open stream: ten dashboards cost what one does, and none costs anything
 * once all are closed (the timer stops with the last subscriber). A snapshot that fails is skipped, not fatal.
 */
@Injectable()
export class StatsStream {
  private readonly logger = new Logger(StatsStream.name);
  readonly events: Observable<MessageEvent>;

  constructor(stats: StatsService) {
    this.events = timer(0, EVERY_MS).pipe(
      // A snapshot slower than a second is not cut short: the next tick waits for it.
      exhaustMap(() =>
        defer(() => stats.snapshot()).pipe(
          catchError((error: Error) => {
            this.logger.warn(`stats snapshot: ${error.message}`);
            return EMPTY;
          }),
        ),
      ),
      map((snapshot): MessageEvent => ({ type: 'stats', data: snapshot })),
      share(),
    );
  }
}
