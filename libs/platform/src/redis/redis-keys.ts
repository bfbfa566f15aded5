/**
 * Builds every Redis key of the deployment from its prefix, so tests and deployments never collide, and so
 * that all keys of one activity share a hash tag ({a:<id>}) and land in one slot of a Redis Cluster.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Prefix passed to BullMQ, whose queues build their own keys. */
  get bullPrefix(): string {
    return `${this.prefix}bull`;
  }

  /** Degradation switches (hash) and the channel announcing their changes. */
  get switches(): string {
    return `${this.prefix}switches`;
  }
  get switchesChannel(): string {
    return `${this.prefix}switches:changed`;
  }

  /** Live stats: the counts every instance flushed during one second (a hash, retired after a few minutes). */
  statsSecond(second: number): string {
    return `${this.prefix}stats:s:${second}`;
  }
  /** Live stats: the counts every instance flushed since the deployment began (a hash of a few dozen fields). */
  get statsTotals(): string {
    return `${this.prefix}stats:total`;
  }
  /** Live stats of one activity: its orders created, paid and cancelled (a hash, in the activity's slot). */
  activityStats(activityId: number): string {
    return `${this.prefix}${this.activityTag(activityId)}:stats`;
  }

  /** The tag that keeps one activity's keys in one cluster slot. */
  activityTag(activityId: number): string {
    return `{a:${activityId}}`;
  }

  key(...parts: Array<string | number>): string {
    return `${this.prefix}${parts.join(':')}`;
  }
}
