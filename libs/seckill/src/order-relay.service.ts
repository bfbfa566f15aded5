import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { OrderCreateJob, orderCreateJobs, ReservationRef } from '@seckill/contracts';
import { backgroundConnection, MetricsService, ORDER_CREATE_QUEUE, REDIS } from '@seckill/platform';
import { RELAY_GROUP as GROUP, StockService } from '@seckill/stock';
import { SeckillMetrics } from './seckill.metrics';

const BATCH = 1000;
const BLOCK_MS = 1000;
/** Entries a relay took but never acknowledged (it died) are taken over after this long. */
const CLAIM_IDLE_MS = 15_000;
const CLAIM_EVERY_MS = 5_000;

type StreamEntries = Array<[id: string, fields: string[]]>;

/**
 * Moves reservations from each live activity's Redis stream (appended by the reservation script itself, so no
 * 202 can be lost between Redis and the queue) into the BullMQ order-create queue, as jobs of up to
 * ORDER_BATCH_MAX reservations named after their first entry, so that a replay is harmless. A consumer group
 * shares the work among instances; entries of a relay that died are claimed by another after CLAIM_IDLE_MS.
 */
@Injectable()
export class OrderRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrderRelay.name);
  private readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly reader: Redis;
  private readonly groups = new Set<string>();
  private running = false;
  private loop: Promise<void> | undefined;
  private lastClaim = 0;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(ORDER_CREATE_QUEUE) private readonly queue: Queue<OrderCreateJob>,
    private readonly stock: StockService,
    private readonly metrics: SeckillMetrics,
    registry: MetricsService,
  ) {
    // XREADGROUP BLOCK holds its connection (and outlasts the request path's command timeout): give it its own.
    this.reader = backgroundConnection(redis);
    this.reader.on('error', () => undefined);
    registry.gauge('seckill_relay_backlog', 'Reservations in the live activities\' streams not yet handed to the order queue', [], async (gauge) => {
      gauge.set(await this.backlog());
    });
  }

  /** Entries in the live activities' streams: appended by reservations, deleted once BullMQ has their jobs. */
  async backlog(): Promise<number> {
    const ids = await this.redis.smembers(this.stock.liveKey);
    const lengths = await Promise.all(ids.map((id) => this.redis.xlen(this.stock.keysFor(Number(id), 1).stream)));
    return lengths.reduce((sum, length) => sum + length, 0);
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.reader.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const moved = await this.relayOnce();
        if (moved === 0 && this.groups.size === 0) await sleep(BLOCK_MS);
      } catch (error) {
        if (!this.running) return;
        this.logger.warn(`relay: ${(error as Error).message}`);
        await sleep(500);
      }
    }
  }

  /** One pass: claims abandoned entries now and then, reads new ones, enqueues and acknowledges them. */
  async relayOnce(): Promise<number> {
    // Live activities only: a retired activity leaves the set, and its stream is read no more.
    const ids = await this.redis.smembers(this.stock.liveKey);
    const streams = ids.map((id) => this.stock.keysFor(Number(id), 1).stream);
    for (const known of this.groups) if (!streams.includes(known)) this.groups.delete(known);
    if (streams.length === 0) return 0;
    for (const stream of streams) await this.ensureGroup(stream);

    let moved = 0;
    if (Date.now() - this.lastClaim > CLAIM_EVERY_MS) {
      this.lastClaim = Date.now();
      for (const stream of streams) {
        const claimed = (await this.redis.xautoclaim(stream, GROUP, this.consumer, CLAIM_IDLE_MS, '0-0', 'COUNT', BATCH)) as [
          string,
          StreamEntries,
        ];
        moved += await this.forward(stream, claimed[1]);
      }
    }
    const reply = (await this.reader.xreadgroup(
      'GROUP', GROUP, this.consumer, 'COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', ...streams, ...streams.map(() => '>'),
    )) as Array<[string, StreamEntries]> | null;
    for (const [stream, entries] of reply ?? []) moved += await this.forward(stream, entries);
    return moved;
  }

  private async ensureGroup(stream: string): Promise<void> {
    if (this.groups.has(stream)) return;
    try {
      // From the start of the stream: entries appended before the group existed are relayed too.
      await this.redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error as Error).message.includes('BUSYGROUP')) throw error;
    }
    this.groups.add(stream);
  }

  private async forward(stream: string, entries: StreamEntries): Promise<number> {
    const activityId = Number(/\{a:(\d+)\}/.exec(stream)?.[1]);
    const valid = entries.filter(([, fields]) => fields && fields.length > 0);
    // Named after their first entry: relaying the same entries again (a crash before XACK) adds nothing.
    const jobs = orderCreateJobs(activityId, valid.map(([, fields]) => toReservation(fields)), valid.map(([id]) => id));
    if (jobs.length > 0) await this.queue.addBulk(jobs);
    if (entries.length > 0) {
      const ids = entries.map(([id]) => id);
      // Acknowledge only after BullMQ has the jobs: a crash in between re-sends them, and orders are idempotent.
      await this.redis.multi().xack(stream, GROUP, ...ids).xdel(stream, ...ids).exec();
    }
    this.metrics.relayed.inc(valid.length);
    return valid.length;
  }
}

function toReservation(fields: string[]): ReservationRef {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  return { reservationId: map.r, userId: map.u, reservedAt: Number(map.t) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
