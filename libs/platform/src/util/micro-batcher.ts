export interface MicroBatcherOptions<T, R> {
  /** Items written at most in one call of `run`. */
  maxSize: number;
  /** How long the first item of a batch waits for others. */
  lingerMs: number;
  /** Handles a batch; answers one result per item, in order. A throw fails every item of the batch. */
  run: (items: T[]) => Promise<R[]>;
}

/**
 * Turns many concurrent single-item calls into few batched ones: items added within `lingerMs` of each other (up to
 * `maxSize`) are handed to `run` together, and each caller gets its own result. Used where the cost is per call
 * (a SQL statement, a Redis script) rather than per item.
 */
export class MicroBatcher<T, R> {
  private pending: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MicroBatcherOptions<T, R>) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxSize) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.lingerMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.options.run(batch.map((entry) => entry.item)).then(
      (results) => batch.forEach((entry, index) => entry.resolve(results[index])),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
  }
}
