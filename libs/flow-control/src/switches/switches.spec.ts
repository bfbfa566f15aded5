import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SWITCHES, decodeSwitchValue, defaultSwitchValues, isSwitchName, shouldShed, switchValueProblem } from './switches';

describe('switch definitions', () => {
  it('has the switches of the contract with their defaults', () => {
    assert.deepEqual(defaultSwitchValues(), {
      registration: true,
      orderQueries: true,
      purchaseShedPercent: 0,
      resultPollSeconds: 0,
      catalogCacheOnly: false,
      tokenIssuance: true,
      clientDropPercent: 0,
      resultPollMs: 1000,
      clickThrottleMs: 5000,
      autoDegradeMinutes: 0,
      paymentBreaker: 'AUTO',
    });
    assert.deepEqual(Object.keys(SWITCHES).sort(), Object.keys(defaultSwitchValues()).sort());
  });

  it('knows its names, and only its own', () => {
    assert.equal(isSwitchName('registration'), true);
    assert.equal(isSwitchName('nope'), false);
    assert.equal(isSwitchName('toString'), false);
    assert.equal(isSwitchName('__proto__'), false);
  });

  it('accepts values of the right type and range only', () => {
    assert.equal(switchValueProblem('registration', false), undefined);
    assert.equal(switchValueProblem('purchaseShedPercent', 0), undefined);
    assert.equal(switchValueProblem('purchaseShedPercent', 100), undefined);
    assert.match(switchValueProblem('registration', 'false') ?? '', /registration must be a boolean/);
    assert.match(switchValueProblem('orderQueries', undefined) ?? '', /got nothing/);
    assert.match(switchValueProblem('purchaseShedPercent', 101) ?? '', /integer from 0 to 100, got 101/);
    assert.match(switchValueProblem('purchaseShedPercent', -1) ?? '', /integer from 0 to 100/);
    assert.match(switchValueProblem('purchaseShedPercent', 12.5) ?? '', /integer from 0 to 100/);
    assert.match(switchValueProblem('purchaseShedPercent', '50') ?? '', /got "50"/);
    assert.match(switchValueProblem('purchaseShedPercent', true) ?? '', /integer/);
    assert.match(switchValueProblem('resultPollSeconds', 61) ?? '', /integer from 0 to 60, got 61/);
    assert.match(switchValueProblem('clientDropPercent', -5) ?? '', /integer from 0 to 100/);
    assert.match(switchValueProblem('catalogCacheOnly', 1) ?? '', /catalogCacheOnly must be a boolean/);
    assert.equal(switchValueProblem('paymentBreaker', 'FORCED_OPEN'), undefined);
    assert.equal(switchValueProblem('paymentBreaker', 'DISABLED'), undefined);
    assert.match(switchValueProblem('paymentBreaker', 'forced_open') ?? '', /one of AUTO, FORCED_OPEN, DISABLED, got "forced_open"/);
    assert.match(switchValueProblem('paymentBreaker', 1) ?? '', /one of AUTO/);
  });

  it('reads stored values back, refusing malformed ones', () => {
    assert.equal(decodeSwitchValue('registration', 'false'), false);
    assert.equal(decodeSwitchValue('registration', 'true'), true);
    assert.equal(decodeSwitchValue('registration', 'yes'), undefined);
    assert.equal(decodeSwitchValue('purchaseShedPercent', '37'), 37);
    assert.equal(decodeSwitchValue('purchaseShedPercent', '370'), undefined);
    assert.equal(decodeSwitchValue('purchaseShedPercent', '3.5'), undefined);
    assert.equal(decodeSwitchValue('purchaseShedPercent', ''), undefined);
    assert.equal(decodeSwitchValue('purchaseShedPercent', undefined), undefined);
    assert.equal(decodeSwitchValue('paymentBreaker', 'FORCED_OPEN'), 'FORCED_OPEN');
    assert.equal(decodeSwitchValue('paymentBreaker', 'OPEN'), undefined);
  });
});

describe('shouldShed', () => {
  it('never sheds at 0 and always at 100', () => {
    assert.equal(shouldShed(0, () => 0), false);
    assert.equal(shouldShed(100, () => 0.999999), true);
  });

  it('sheds the given share of requests', () => {
    assert.equal(shouldShed(30, () => 0.29), true);
    assert.equal(shouldShed(30, () => 0.3), false);
    let draw = 0;
    const evenlySpread = (): number => (draw++ % 1000) / 1000;
    let shed = 0;
    for (let i = 0; i < 1000; i++) if (shouldShed(25, evenlySpread)) shed++;
    assert.equal(shed, 250);
  });
});
