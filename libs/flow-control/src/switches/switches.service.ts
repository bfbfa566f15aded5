import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { backgroundConnection, DomainError, REDIS, RedisKeys } from '@seckill/platform';
import {
  SWITCH_NAMES,
  SwitchName,
  SwitchValues,
  decodeSwitchValue,
  defaultSwitchValues,
  encodeSwitchValue,
  isSwitchName,
  switchValueProblem,
} from './switches';

/** The fallback reload period: a change whose message was missed still reaches this instance within it. */
export const SWITCHES_RELOAD_INTERVAL_MS = 1000;

/**
 * The degradation switches of the deployment. Values live in a Redis hash (the source of truth, shared by every
 * instance); each instance keeps an in-process copy, so reading a switch on the hot path never waits on Redis.
 * A change is announced on a pub/sub channel, which makes every instance reload at once; a reload every second
 * covers a message lost while a subscriber was reconnecting.
 */
@Injectable()
export class SwitchesService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('switches');
  /** Replaced, never mutated, so all() can hand it out without a copy. */
  private values: Readonly<SwitchValues> = Object.freeze(defaultSwitchValues());
  private subscriber?: Redis;
  private subscribed = false;
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** Last problem logged, so that a Redis outage or a bad stored value logs once, not every second. */
  private lastProblem = '';

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Subscribes to changes and loads the stored values; Redis being down leaves the defaults until it is back. */
  async onModuleInit(): Promise<void> {
    const subscriber = backgroundConnection(this.redis);
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => this.warnOnce(`subscriber: ${error.message}`));
    subscriber.on('message', (channel: string) => {
      if (channel === this.keys.switchesChannel) void this.reload();
    });
    this.timer = setInterval(() => void this.tick(), SWITCHES_RELOAD_INTERVAL_MS);
    // The timer must not keep a process alive that is otherwise done (a script, a test).
    this.timer.unref();
    await this.subscribe();
    await this.reload();
  }

  /** Stops the reload timer and closes the subscriber connection. */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  /** The current value of one switch, from memory. */
  get<N extends SwitchName>(name: N): SwitchValues[N] {
    return this.values[name];
  }

  /** Every switch's current value, from memory (a frozen snapshot). */
  all(): Readonly<SwitchValues> {
    return this.values;
  }

  /**
   * Stores a switch's new value and tells every instance; this instance sees it at once, the others within a
   * second.
   * @param name the switch's name, as an operator typed it
   * @param value the new value, as it came in the request body
   * @returns every switch's value after the change
   * @throws DomainError NOT_FOUND for an unknown name, VALIDATION_FAILED for a value of the wrong type or range
   *   (nothing is changed then)
   */
  async set(name: string, value: unknown): Promise<Readonly<SwitchValues>> {
    if (!isSwitchName(name)) {
      throw new DomainError('NOT_FOUND', `no switch named "${name}" (switches: ${SWITCH_NAMES.join(', ')})`);
    }
    const problem = switchValueProblem(name, value);
    if (problem !== undefined) {
      throw new DomainError('VALIDATION_FAILED', problem, { details: [{ field: 'value', problems: [problem] }] });
    }
    const valid = value as SwitchValues[typeof name];
    // HSET before PUBLISH on the same connection, so an instance reloading on the message reads the new value.
    await this.redis.hset(this.keys.switches, name, encodeSwitchValue(valid));
    await this.redis.publish(this.keys.switchesChannel, name);
    this.values = Object.freeze({ ...this.values, [name]: valid });
    return this.values;
  }

  /**
   * Reads every switch from Redis into memory now (the service also does so on each change and every second).
   * A missing or malformed stored value reads as the switch's default; a failed read keeps the last values.
   */
  async reload(): Promise<void> {
    if (this.closed) return;
    let stored: Record<string, string>;
    try {
      stored = await this.redis.hgetall(this.keys.switches);
    } catch (error) {
      this.warnOnce(`cannot read switches, keeping the last values: ${(error as Error).message}`);
      return;
    }
    if (this.closed) return;
    const next = defaultSwitchValues();
    const malformed: string[] = [];
    for (const name of SWITCH_NAMES) {
      const value = decodeSwitchValue(name, stored[name]);
      if (value !== undefined) Object.assign(next, { [name]: value });
      else if (stored[name] !== undefined) malformed.push(`${name}=${JSON.stringify(stored[name])}`);
    }
    this.values = Object.freeze(next);
    if (malformed.length > 0) this.warnOnce(`malformed stored switches, using their defaults: ${malformed.join(', ')}`);
    else this.lastProblem = '';
  }

  private async tick(): Promise<void> {
    if (!this.subscribed) await this.subscribe();
    await this.reload();
  }

  /** A failed subscription is retried by the timer; until then the periodic reload alone keeps values fresh. */
  private async subscribe(): Promise<void> {
    if (!this.subscriber || this.closed) return;
    try {
      await this.subscriber.subscribe(this.keys.switchesChannel);
      // ioredis re-subscribes by itself after a reconnect once a subscription has succeeded.
      this.subscribed = true;
    } catch (error) {
      this.warnOnce(`cannot subscribe to switch changes, polling only: ${(error as Error).message}`);
    }
  }

  private warnOnce(problem: string): void {
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    this.logger.warn(problem);
  }
}
