import autocannon from 'autocannon';

/** One HTTP request of an actor (a shopper, a browser), built when a connection is free to send it. */
export interface Step {
  /** What the request is, for the report (token, purchase, queue...): latencies and statuses are kept per kind. */
  kind: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * What an actor does after an answer: send its next step at once, wait (ms) then send it, stop, decide once some
 * work of its own is done (solving a proof-of-work), or go to the back of the line (`again`: actors taking turns,
 * as the storm's users do).
 */
export type Next = { ready: true } | { waitMs: number } | { done: true } | { later: Promise<Next> } | { again: true };

export interface Script<A> {
  step(actor: A): Step;
  /** The answer to the actor's last step. */
  answer(actor: A, status: number, body: string, headers: Record<string, string | string[]>, kind: string): Next;
  /** The last step got no answer (timeout, connection dropped): the actor decides whether to try again. */
  lost(actor: A, kind: string): Next;
}

export interface ActorRunOptions<A> {
  /** Origin of every request, e.g. http://127.0.0.1:3002 */
  url: string;
  connections: number;
  actors: A[];
  script: Script<A>;
  /** The run stops after this long even if actors are left (they are reported as unfinished). */
  maxSeconds: number;
  /** Seconds before a request counts as lost. */
  timeoutSeconds?: number;
  /** A line of progress on stderr every 250 ms (a terminal, not CI). */
  progress: boolean;
  /** Label on the progress line. */
  label: string;
  /** Actors take turns until maxSeconds (a storm): the progress bar shows time, not actors finished. */
  timeBound?: boolean;
  /**
   * What a connection sends when it is built and no actor is ready (only possible when there are more connections
   * than actors ready at the start): a cheap read, reported as kind `idle`.
   */
  idlePath: string;
}

/** Every answer, in order: time since the run's start, latency, kind and status. */
export interface Samples {
  atMs: Float64Array;
  latencyMs: Float64Array;
  kind: Uint8Array;
  status: Uint16Array;
  length: number;
  kinds: string[];
}

export interface ActorRunResult {
  startedAt: number;
  endedAt: number;
  samples: Samples;
  /** Status counts per kind, e.g. {purchase: {"202": 500, "410": 19500}}. */
  statuses: Record<string, Record<string, number>>;
  /** Error codes (the body's `code`) per kind. */
  codes: Record<string, Record<string, number>>;
  /** Requests that got no answer (timeout or connection error), per kind. */
  lost: Record<string, number>;
  /** Actors that had not finished when the run stopped. */
  unfinished: number;
  errors: number;
  timeouts: number;
}

const ERROR_CODE = /"code"\s*:\s*"([A-Z_]+)"/;

class SampleLog implements Samples {
  atMs = new Float64Array(1 << 16);
  latencyMs = new Float64Array(1 << 16);
  kind = new Uint8Array(1 << 16);
  status = new Uint16Array(1 << 16);
  length = 0;
  kinds: string[] = [];

  kindIndex(kind: string): number {
    let index = this.kinds.indexOf(kind);
    if (index < 0) index = this.kinds.push(kind) - 1;
    return index;
  }

  push(atMs: number, latencyMs: number, kind: number, status: number): void {
    if (this.length === this.atMs.length) {
      const grow = <T extends Float64Array | Uint8Array | Uint16Array>(array: T): T => {
        const bigger = new (array.constructor as new (n: number) => T)(array.length * 2);
        bigger.set(array);
        return bigger;
      };
      this.atMs = grow(this.atMs);
      this.latencyMs = grow(this.latencyMs);
      this.kind = grow(this.kind);
      this.status = grow(this.status);
    }
    const i = this.length++;
    this.atMs[i] = atMs;
    this.latencyMs[i] = latencyMs;
    this.kind[i] = kind;
    this.status[i] = status;
  }
}

/** The part of autocannon@8's connection object (lib/httpClient.js) the scheduler touches. */
interface Client {
  _doRequest(...args: unknown[]): void;
  reqsMade: number;
  destroyed: boolean;
  timeoutTicker: { reschedule(ms: number): void };
  requestIterator: { context: { entry?: Entry<unknown> } };
}

/** The request a connection has in flight (kept in the connection's autocannon context). */
interface Entry<A> {
  actor: A | undefined;
  kind: string;
  answered: boolean;
}

const bump = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);

/**
 * Runs actors (shoppers, each a little state machine: token, purchase, retries) over autocannon's connections.
 *
 * autocannon is made for a request stream, not for actors that wait: a connection sends its next request as soon
 * as the last one is answered, and the first setupRequest may not skip. An actor that must wait (Retry-After, a
 * backoff, the waiting room) must not be sent early, and a connection must not busy-loop on some filler request
 * meanwhile, which would load the server with traffic no shopper makes. So the connections are scheduled here:
 * setupRequest hands a connection the next ready actor's step, and a connection that finds no actor ready is
 * parked (its _doRequest is held back, its timeout pushed away) until a waiting actor's time comes. This wraps
 * _doRequest, a private method of autocannon's Client that setupClient exposes, of the exact version pinned in
 * package.json (8.0.0); a change of version must re-check lib/httpClient.js.
 */
export async function runActors<A>(options: ActorRunOptions<A>): Promise<ActorRunResult> {
  const { script } = options;
  const samples = new SampleLog();
  const statuses: Record<string, Record<string, number>> = {};
  const codes: Record<string, Record<string, number>> = {};
  const lost: Record<string, number> = {};
  // Two lines of actors ready to send: those already under way (answered a moment ago, or done waiting) go first,
  // fresh arrivals after them, as a shopper who got a token buys at once instead of queueing behind the crowd.
  const continuing: A[] = [];
  let continuingHead = 0;
  const ready: A[] = [...options.actors];
  let readyHead = 0;
  const parked: Client[] = [];
  const total = options.actors.length;
  let done = 0;
  let stopped = false;
  /** Actors busy with work of their own (a proof-of-work). */
  let pending = 0;
  const timers = new Set<NodeJS.Timeout>();
  const control: { stop?: () => void } = {};
  const startedAt = Date.now();

  const readyCount = () => ready.length - readyHead + continuing.length - continuingHead;
  const takeReady = (): A | undefined => {
    if (continuingHead < continuing.length) {
      const actor = continuing[continuingHead++];
      if (continuingHead > 4096 && continuingHead * 2 > continuing.length) {
        continuing.splice(0, continuingHead);
        continuingHead = 0;
      }
      return actor;
    }
    if (readyHead >= ready.length) return undefined;
    const actor = ready[readyHead++];
    if (readyHead > 4096 && readyHead * 2 > ready.length) {
      ready.splice(0, readyHead);
      readyHead = 0;
    }
    return actor;
  };
  const finish = () => {
    if (stopped) return;
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    control.stop?.();
  };
  const wake = () => {
    while (!stopped && parked.length > 0 && readyCount() > 0) {
      const client = parked.pop()!;
      if (!client.destroyed) client._doRequest();
    }
  };
  const apply = (actor: A, next: Next) => {
    if ('later' in next) {
      pending++;
      void next.later.then(
        (decided) => {
          pending--;
          if (stopped) return;
          apply(actor, decided);
          wake();
        },
        () => {
          pending--;
          if (!stopped) apply(actor, { done: true });
        },
      );
    } else if ('again' in next) {
      ready.push(actor);
    } else if ('done' in next) {
      done++;
      if (done >= total) finish();
    } else if ('waitMs' in next && next.waitMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        continuing.push(actor);
        wake();
      }, next.waitMs);
      timers.add(timer);
    } else {
      continuing.push(actor);
    }
  };

  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.maxSeconds,
    pipelining: 1,
    timeout: options.timeoutSeconds ?? 10,
    requests: [
      {
        method: 'GET',
        path: options.idlePath,
        // autocannon gives every connection its own context, reset before each request: it holds the request in
        // flight, so the answer (onResponse, then the 'response' event) finds its actor.
        setupRequest: (request, context) => {
          const actor = takeReady();
          if (actor === undefined) {
            context.entry = { actor: undefined, kind: 'idle', answered: false } satisfies Entry<A>;
            return { ...request, method: 'GET', path: options.idlePath, headers: {}, body: undefined };
          }
          const step = script.step(actor);
          context.entry = { actor, kind: step.kind, answered: false } satisfies Entry<A>;
          return { ...request, method: step.method, path: step.path, headers: step.headers, body: step.body };
        },
        onResponse: (status, body, context, headers) => {
          const entry = context.entry as Entry<A> | undefined;
          if (!entry || entry.answered) return;
          entry.answered = true;
          bump((statuses[entry.kind] ??= {}), String(status));
          if (status >= 400) bump((codes[entry.kind] ??= {}), ERROR_CODE.exec(body)?.[1] ?? `HTTP_${status}`);
          if (entry.actor !== undefined && !stopped) apply(entry.actor, script.answer(entry.actor, status, body, headers, entry.kind));
        },
      },
    ],
    setupClient: (raw: unknown) => {
      const client = raw as Client;
      const original = client._doRequest.bind(client);
      client._doRequest = (...args: unknown[]) => {
        const previous = client.requestIterator.context.entry as Entry<A> | undefined;
        if (previous && !previous.answered && client.reqsMade > 0) {
          // Sent, never answered: a timeout or a dropped connection (autocannon reconnects and asks again).
          previous.answered = true;
          bump(lost, previous.kind);
          if (previous.actor !== undefined && !stopped) apply(previous.actor, script.lost(previous.actor, previous.kind));
        }
        if (!client.destroyed && !stopped && client.reqsMade > 0 && readyCount() === 0) {
          parked.push(client);
          client.timeoutTicker.reschedule(24 * 3600_000);
          return;
        }
        original(...args);
      };
    },
  } as autocannon.Options);
  control.stop = () => instance.stop();
  if (done >= total) finish();

  instance.on('response', (client: unknown, status: number, _bytes: number, responseTime: number) => {
    const entry = (client as Client).requestIterator.context.entry;
    samples.push(Date.now() - startedAt, responseTime, samples.kindIndex(entry?.kind ?? 'idle'), status);
  });

  let progressTimer: NodeJS.Timeout | undefined;
  if (options.progress) {
    // A bar of the actors finished (a sale) or, for actors that take turns until the time is up, of the time.
    const timeBound = options.timeBound === true;
    progressTimer = setInterval(() => {
      const seconds = (Date.now() - startedAt) / 1000;
      const fraction = Math.min(1, timeBound ? seconds / options.maxSeconds : done / Math.max(total, 1));
      const width = 24;
      const bar = `[${'='.repeat(Math.round(fraction * width)).padEnd(width)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
      const what = timeBound ? '' : ` ${done}/${total} done${pending > 0 ? ` (${pending} solving a challenge)` : ''},`;
      process.stderr.write(
        `\r${options.label} ${bar}${what} ${samples.length} answers, ${Math.round(samples.length / Math.max(seconds, 0.001))}/s, ${seconds.toFixed(1)} s   `,
      );
    }, 250);
  }
  const result = await instance;
  if (progressTimer) {
    clearInterval(progressTimer);
    process.stderr.write('\n');
  }
  finish();
  return {
    startedAt,
    endedAt: Date.now(),
    samples,
    statuses,
    codes,
    lost,
    unfinished: total - done,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
