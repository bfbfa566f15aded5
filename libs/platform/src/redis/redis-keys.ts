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

  /** The tag that keeps one activity's keys in one cluster slot. */
  activityTag(activityId: number): string {
    return `{a:${activityId}}`;
  }

  key(...parts: Array<string | number>): string {
    return `${this.prefix}${parts.join(':')}`;
  }
}
