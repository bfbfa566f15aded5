import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimatedWaitSeconds, inletRate } from './inlet-rate';

const limits = { maxEventLoopDelayMs: 500, maxRelayBacklog: 10_000 };
/** Rates to the thousandth: the factors are floating-point products. */
const rateOf = (...args: Parameters<typeof inletRate>) => Math.round(inletRate(...args).rate * 1000) / 1000;
const calm = { shedPercent: 0, eventLoopDelayMs: 10, relayBacklog: 0 };

describe('inletRate', () => {
  it('runs at the configured rate while the funnel is calm', () => {
    assert.deepEqual(inletRate(200, calm, limits), { rate: 200, factor: 1, reasons: [] });
  });

  it('admits the share of purchases that is not shed, and nobody at 100%', () => {
    assert.equal(inletRate(200, { ...calm, shedPercent: 25 }, limits).rate, 150);
    assert.deepEqual(inletRate(200, { ...calm, shedPercent: 100 }, limits), { rate: 0, factor: 0, reasons: ['shedding'] });
  });

  it('slows from half the shedding lag down to a tenth at the threshold, never to a stop', () => {
    assert.equal(rateOf(100, { ...calm, eventLoopDelayMs: 250 }, limits), 100);
    assert.equal(rateOf(100, { ...calm, eventLoopDelayMs: 375 }, limits), 55);
    assert.equal(rateOf(100, { ...calm, eventLoopDelayMs: 500 }, limits), 10);
    assert.equal(rateOf(100, { ...calm, eventLoopDelayMs: 5000 }, limits), 10);
  });

  it('lowers in proportion to a relay backlog above the limit, and multiplies the factors', () => {
    assert.equal(inletRate(100, { ...calm, relayBacklog: 20_000 }, limits).rate, 50);
    assert.equal(inletRate(100, { ...calm, relayBacklog: 1_000_000 }, limits).rate, 10);
    const both = inletRate(100, { shedPercent: 50, eventLoopDelayMs: 10, relayBacklog: 20_000 }, limits);
    assert.deepEqual(both, { rate: 25, factor: 0.25, reasons: ['shedding', 'relay-backlog'] });
  });
});

describe('estimatedWaitSeconds', () => {
  it('counts the shoppers ahead at the running rate, plus the time to the start', () => {
    assert.equal(estimatedWaitSeconds(100, 20, 50, 0), 5);
    assert.equal(estimatedWaitSeconds(101, 20, 50, 0), 6);
    assert.equal(estimatedWaitSeconds(100, 0, 50, 0), 2);
    assert.equal(estimatedWaitSeconds(100, 20, 50, 30_000), 35);
    assert.equal(estimatedWaitSeconds(0, 20, 50, 0), 0);
    assert.equal(estimatedWaitSeconds(-3, 20, 50, -5000), 0);
  });
});
