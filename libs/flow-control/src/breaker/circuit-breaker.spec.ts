import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BreakerOpenError,
  BreakerTimers,
  BreakerTransition,
  CallTimeoutError,
  CircuitBreaker,
  CircuitBreakerOptions,
} from './circuit-breaker';
import { CountWindow, TimeWindow } from './sliding-window';

/** A clock and timers the test moves by hand: advance() fires the timers that fall due. */
class FakeTime implements BreakerTimers {
  now = 1_000_000;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;
  readonly clock = (): number => this.now;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    this.now += ms;
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at <= this.now) {
        this.timers.delete(id);
        timer.callback();
      }
    }
  }
}

class DeclinedError extends Error {}

function setup(overrides: Partial<CircuitBreakerOptions> = {}) {
  const time = new FakeTime();
  const breaker = new CircuitBreaker({
    name: 'provider',
    window: { type: 'count', size: 10 },
    minimumCalls: 5,
    failureRateThreshold: 50,
    slowCallRateThreshold: 50,
    slowCallDurationMs: 1000,
    openWaitMs: 10_000,
    halfOpenProbes: 3,
    isFailure: (error) => !(error instanceof DeclinedError),
    clock: time.clock,
    timers: time,
    ...overrides,
  });
  const events: BreakerTransition[] = [];
  breaker.onTransition((event) => events.push(event));
  let made = 0;
  const ok = () => breaker.execute(async () => ++made);
  const fail = () =>
    breaker.execute(async () => {
      made++;
      throw new Error('provider 500');
    }).catch((error: unknown) => error);
  /** A successful call that takes `ms` of fake time. */
  const slow = async (ms: number) => {
    const call = breaker.execute(async () => {
      made++;
      await Promise.resolve();
      time.advance(ms);
      return made;
    });
    return call;
  };
  return { time, breaker, events, ok, fail, slow, made: () => made };
}

async function rejected(promise: Promise<unknown>): Promise<BreakerOpenError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof BreakerOpenError, `expected BreakerOpenError, got ${String(error)}`);
  return error;
}

describe('CircuitBreaker', () => {
  it('stays CLOSED below the minimum number of calls, even when every call fails', async () => {
    const { breaker, fail, events } = setup({ minimumCalls: 5 });
    for (let i = 0; i < 4; i++) await fail();
    assert.equal(breaker.state(), 'CLOSED');
    assert.deepEqual(events, []);
    assert.deepEqual(breaker.snapshot(), { state: 'CLOSED', since: 1_000_000, calls: 4, failures: 4, slowCalls: 0 });
  });

  it('opens once the failure ratio reaches its threshold', async () => {
    const { breaker, ok, fail, events } = setup({ failureRateThreshold: 50, minimumCalls: 6 });
    await ok();
    await ok();
    await ok();
    await fail();
    await fail();
    assert.equal(breaker.state(), 'CLOSED', 'only 5 calls');
    await ok(); // 2 of 6 = 33%
    assert.equal(breaker.state(), 'CLOSED');
    await fail(); // 3 of 7 = 43%
    assert.equal(breaker.state(), 'CLOSED');
    await fail(); // 4 of 8 = 50%
    assert.equal(breaker.state(), 'OPEN');
    assert.equal(events.length, 1);
    assert.equal(events[0].from, 'CLOSED');
    assert.equal(events[0].to, 'OPEN');
    assert.deepEqual(events[0].counts, { calls: 8, failures: 4, slowCalls: 0 });
    assert.match(events[0].reason, /4 of 8 calls failed \(50% >= 50%\)/);
  });

  it('opens on slow calls that succeed', async () => {
    const { breaker, ok, slow, events } = setup({ slowCallRateThreshold: 30, slowCallDurationMs: 1000, minimumCalls: 10 });
    for (let i = 0; i < 7; i++) await ok();
    await slow(1000);
    await slow(2500);
    assert.equal(breaker.state(), 'CLOSED', '2 slow of 9 calls: below the minimum');
    await slow(999); // not slow: 999 < 1000
    assert.equal(breaker.state(), 'CLOSED', '2 slow of 10 = 20%');
    await slow(1200); // 3 of 10 (the oldest fast call left the window)
    assert.equal(breaker.state(), 'OPEN');
    assert.match(events[0].reason, /3 of 10 calls took 1000 ms or more/);
    assert.equal(breaker.totals().failures, 0);
  });

  it('judges a time window: calls older than it no longer count', async () => {
    const { breaker, ok, fail, time } = setup({ window: { type: 'time', size: 60 }, minimumCalls: 4, failureRateThreshold: 50 });
    await fail();
    await fail();
    await fail();
    time.advance(61_000); // those three failures leave the window
    await ok();
    await ok();
    await fail();
    assert.equal(breaker.state(), 'CLOSED', 'only 3 calls in the last minute');
    await ok(); // 1 of 4
    assert.equal(breaker.state(), 'CLOSED');
    time.advance(30_000);
    await fail(); // 2 of 5
    await fail(); // 3 of 6 = 50%
    assert.equal(breaker.state(), 'OPEN');
  });

  it('never makes a call while OPEN, and says how long to wait', async () => {
    const { breaker, fail, ok, time, made } = setup({ minimumCalls: 2, openWaitMs: 10_000 });
    await fail();
    await fail();
    assert.equal(breaker.state(), 'OPEN');
    const before = made();
    time.advance(4000);
    const error = await rejected(ok());
    assert.equal(error.state, 'OPEN');
    assert.equal(error.retryAfterMs, 6000);
    for (let i = 0; i < 50; i++) await rejected(ok());
    assert.equal(made(), before, 'no call reached the dependency');
    assert.equal(breaker.totals().rejected, 51);
  });

  it('turns HALF_OPEN once the wait is over, admits exactly N probes and rejects the rest at once', async () => {
    const { breaker, fail, time, events, made } = setup({ minimumCalls: 2, openWaitMs: 10_000, halfOpenProbes: 3 });
    await fail();
    await fail();
    time.advance(9999);
    assert.equal(breaker.state(), 'OPEN');
    time.advance(1);
    assert.equal(breaker.state(), 'HALF_OPEN');
    assert.deepEqual(events.map((e) => `${e.from}>${e.to}`), ['CLOSED>OPEN', 'OPEN>HALF_OPEN']);

    const release: Array<() => void> = [];
    const probes = Array.from({ length: 3 }, () =>
      breaker.execute(() => new Promise<string>((resolve) => release.push(() => resolve('ok')))),
    );
    const before = made();
    for (let i = 0; i < 5; i++) {
      const error = await rejected(breaker.execute(async () => 'never'));
      assert.equal(error.state, 'HALF_OPEN');
    }
    assert.equal(made(), before);
    assert.equal(release.length, 3, 'exactly three probes were let through');
    for (const done of release) done();
    assert.deepEqual(await Promise.all(probes), ['ok', 'ok', 'ok']);
  });

  it('re-opens with a new wait when a probe fails', async () => {
    const { breaker, fail, ok, time, events } = setup({ minimumCalls: 2, openWaitMs: 10_000, halfOpenProbes: 3 });
    await fail();
    await fail();
    time.advance(10_000);
    await ok();
    assert.equal(breaker.state(), 'HALF_OPEN');
    await fail();
    assert.equal(breaker.state(), 'OPEN');
    assert.match(events.at(-1)?.reason ?? '', /a probe failed/);
    time.advance(9999);
    const error = await rejected(ok());
    assert.equal(error.retryAfterMs, 1000, 'the new wait started at the failed probe');
    time.advance(1);
    assert.equal(breaker.state(), 'HALF_OPEN');
  });

  it('re-opens when a probe is slow', async () => {
    const { breaker, fail, slow, time } = setup({ minimumCalls: 2, halfOpenProbes: 2, slowCallDurationMs: 1000 });
    await fail();
    await fail();
    time.advance(10_000);
    await slow(1500);
    assert.equal(breaker.state(), 'OPEN');
  });

  it('closes after enough good probes, with fresh counters', async () => {
    const { breaker, fail, ok, time, events } = setup({ minimumCalls: 4, openWaitMs: 10_000, halfOpenProbes: 3 });
    for (let i = 0; i < 4; i++) await fail();
    time.advance(10_000);
    await ok();
    await ok();
    assert.equal(breaker.state(), 'HALF_OPEN');
    await ok();
    assert.equal(breaker.state(), 'CLOSED');
    assert.deepEqual(events.map((e) => e.to), ['OPEN', 'HALF_OPEN', 'CLOSED']);
    assert.deepEqual(breaker.snapshot(), { state: 'CLOSED', since: time.now, calls: 0, failures: 0, slowCalls: 0 });
    // The old failures are gone: three new failures are below the minimum of four.
    await fail();
    await fail();
    await fail();
    assert.equal(breaker.state(), 'CLOSED');
  });

  it('does not count business errors, and passes them on', async () => {
    const { breaker, ok, time } = setup({ minimumCalls: 2, halfOpenProbes: 1 });
    const declined = () =>
      breaker.execute(async () => {
        throw new DeclinedError('card declined');
      });
    for (let i = 0; i < 20; i++) await assert.rejects(declined(), DeclinedError);
    assert.equal(breaker.state(), 'CLOSED');
    assert.deepEqual(breaker.snapshot().calls, 0);
    assert.equal(breaker.totals().ignored, 20);

    // While HALF_OPEN, an ignored call gives its probe slot back instead of closing or re-opening the breaker.
    for (let i = 0; i < 2; i++) await breaker.execute(async () => Promise.reject(new Error('500'))).catch(() => undefined);
    time.advance(10_000);
    await assert.rejects(declined(), DeclinedError);
    assert.equal(breaker.state(), 'HALF_OPEN');
    await ok();
    assert.equal(breaker.state(), 'CLOSED');
  });

  it('obeys FORCED_OPEN and DISABLED, and AUTO starts over from CLOSED', async () => {
    const { breaker, ok, fail, events, made } = setup({ minimumCalls: 2 });
    breaker.setMode('FORCED_OPEN');
    assert.equal(breaker.state(), 'FORCED_OPEN');
    const before = made();
    const error = await rejected(ok());
    assert.equal(error.state, 'FORCED_OPEN');
    assert.equal(made(), before);

    breaker.setMode('DISABLED');
    for (let i = 0; i < 10; i++) await fail();
    assert.equal(breaker.state(), 'DISABLED', 'failures do not open a disabled breaker');
    assert.equal(await ok(), made(), 'calls pass');

    breaker.setMode('DISABLED');
    breaker.setMode('AUTO');
    assert.equal(breaker.state(), 'CLOSED');
    assert.equal(breaker.snapshot().calls, 0);
    assert.deepEqual(
      events.map((e) => `${e.from}>${e.to}: ${e.reason}`),
      ['CLOSED>FORCED_OPEN: operator set FORCED_OPEN', 'FORCED_OPEN>DISABLED: operator set DISABLED', 'DISABLED>CLOSED: operator set AUTO'],
    );
  });

  it('emits exactly one event per transition', async () => {
    const { breaker, fail, ok, time, events } = setup({ minimumCalls: 2, halfOpenProbes: 1 });
    await fail();
    await fail();
    for (let i = 0; i < 5; i++) await rejected(ok());
    breaker.state();
    time.advance(10_000);
    breaker.state();
    breaker.state();
    await ok();
    await ok();
    assert.deepEqual(events.map((e) => e.to), ['OPEN', 'HALF_OPEN', 'CLOSED']);
    assert.ok(events.every((e, i) => i === 0 || e.from === events[i - 1].to));
  });

  it('times a call out: aborts it, counts a failure and rejects with CallTimeoutError', async () => {
    const { breaker, time } = setup({ callTimeoutMs: 2000, minimumCalls: 1, failureRateThreshold: 100 });
    let signal: AbortSignal | undefined;
    const call = breaker.execute(
      (s) =>
        new Promise<string>((_, reject) => {
          signal = s;
          s.addEventListener('abort', () => reject(new Error('aborted by the signal')));
        }),
    );
    const outcome = call.catch((error: unknown) => error);
    time.advance(1999);
    assert.equal(signal?.aborted, false);
    time.advance(1);
    const error = await outcome;
    assert.ok(error instanceof CallTimeoutError, String(error));
    assert.equal(signal?.aborted, true);
    assert.ok(signal?.reason instanceof CallTimeoutError);
    assert.equal(breaker.totals().timeouts, 1);
    assert.equal(breaker.totals().failures, 1);
    assert.equal(breaker.state(), 'OPEN', 'one timeout of one call: 100% failures');
    assert.equal(time.pending, 0);
  });

  it('clears the timeout of a call that finished in time', async () => {
    const { breaker, time } = setup({ callTimeoutMs: 2000 });
    assert.equal(await breaker.execute(async () => 'fast'), 'fast');
    assert.equal(time.pending, 0);
    assert.equal(breaker.totals().timeouts, 0);
  });

  it('does not let a call admitted before a transition decide the new state', async () => {
    const { breaker, fail, time } = setup({ minimumCalls: 2, halfOpenProbes: 1 });
    let finish: (() => void) | undefined;
    const straggler = breaker.execute(() => new Promise<void>((_, reject) => (finish = () => reject(new Error('late 500')))));
    await fail();
    await fail();
    assert.equal(breaker.state(), 'OPEN', 'the two finished failures opened it');
    time.advance(10_000);
    assert.equal(breaker.state(), 'HALF_OPEN');
    finish?.();
    await straggler.catch(() => undefined);
    assert.equal(breaker.state(), 'HALF_OPEN', 'a failure from the CLOSED days does not re-open it');
  });

  it('refuses options out of range', () => {
    const base: CircuitBreakerOptions = {
      name: 'x',
      window: { type: 'count', size: 10 },
      minimumCalls: 1,
      failureRateThreshold: 50,
      slowCallRateThreshold: 50,
      slowCallDurationMs: 1000,
      openWaitMs: 1000,
      halfOpenProbes: 1,
    };
    assert.doesNotThrow(() => new CircuitBreaker(base));
    for (const bad of [
      { window: { type: 'count' as const, size: 0 } },
      { minimumCalls: 0 },
      { failureRateThreshold: 0 },
      { slowCallRateThreshold: 101 },
      { halfOpenProbes: 1.5 },
      { openWaitMs: -1 },
      { callTimeoutMs: -5 },
    ]) {
      assert.throws(() => new CircuitBreaker({ ...base, ...bad }), RangeError, JSON.stringify(bad));
    }
  });
});

describe('sliding windows', () => {
  it('CountWindow keeps the last N outcomes', () => {
    const window = new CountWindow(3);
    window.record({ failed: true, slow: true });
    window.record({ failed: false, slow: false });
    window.record({ failed: true, slow: false });
    assert.deepEqual(window.counts(), { calls: 3, failures: 2, slowCalls: 1 });
    window.record({ failed: false, slow: false }); // the first (failed, slow) leaves
    assert.deepEqual(window.counts(), { calls: 3, failures: 1, slowCalls: 0 });
    window.reset();
    assert.deepEqual(window.counts(), { calls: 0, failures: 0, slowCalls: 0 });
  });

  it('TimeWindow counts the calls of the last N seconds', () => {
    let now = 10_000;
    const window = new TimeWindow(3, () => now);
    window.record({ failed: true, slow: false }); // second 10
    now = 11_500;
    window.record({ failed: false, slow: true }); // second 11
    assert.deepEqual(window.counts(), { calls: 2, failures: 1, slowCalls: 1 });
    now = 12_999;
    assert.equal(window.counts().calls, 2);
    now = 13_000; // second 10 has left the window
    assert.deepEqual(window.counts(), { calls: 1, failures: 0, slowCalls: 1 });
    window.record({ failed: true, slow: false }); // reuses the bucket of second 10
    assert.deepEqual(window.counts(), { calls: 2, failures: 1, slowCalls: 1 });
    now = 100_000;
    assert.deepEqual(window.counts(), { calls: 0, failures: 0, slowCalls: 0 });
  });
});
