import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActivityView } from '@seckill/contracts';
import { pickDemo, usableDemo } from './demo-activity';

const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const MINUTE = 60_000;

/** The fields the demo's choice looks at (an activity has more, which these tests leave out). */
function activity(id: number, changes: Partial<ActivityView> & { startIn: number; endIn: number }): ActivityView {
  const { startIn, endIn, ...rest } = changes;
  const view: Partial<ActivityView> = {
    id,
    title: 'Demo: mechanical keyboard, 60% off',
    description: '',
    priceCents: 3999,
    originalPriceCents: 9999,
    stock: 100,
    remaining: 100,
    startAt: new Date(NOW + startIn).toISOString(),
    endAt: new Date(NOW + endIn).toISOString(),
    status: startIn > 0 ? 'UPCOMING' : 'ACTIVE',
    ...rest,
  };
  return view as ActivityView;
}

describe('the demo activity npm start ensures', () => {
  it('is usable while on sale with units left and time to go, or opening within minutes', () => {
    assert.equal(usableDemo(activity(1, { startIn: -MINUTE, endIn: 60 * MINUTE }), NOW), true);
    assert.equal(usableDemo(activity(1, { startIn: MINUTE, endIn: 60 * MINUTE }), NOW), true);
  });

  it('is not usable once ended, sold out, closing soon, opening much later, or not a demo', () => {
    assert.equal(usableDemo(activity(1, { startIn: -2 * MINUTE, endIn: -MINUTE, status: 'ENDED' }), NOW), false, 'ended');
    assert.equal(usableDemo(activity(1, { startIn: -MINUTE, endIn: 60 * MINUTE, remaining: 0, status: 'SOLD_OUT' }), NOW), false);
    assert.equal(usableDemo(activity(1, { startIn: -MINUTE, endIn: 60 * MINUTE, remaining: 0 }), NOW), false, 'no unit left');
    assert.equal(usableDemo(activity(1, { startIn: -MINUTE, endIn: 5 * MINUTE }), NOW), false, 'closes in 5 minutes');
    assert.equal(usableDemo(activity(1, { startIn: 60 * MINUTE, endIn: 120 * MINUTE }), NOW), false, 'opens in an hour');
    assert.equal(usableDemo(activity(1, { startIn: -MINUTE, endIn: 60 * MINUTE, title: 'Phone X' }), NOW), false, 'not a demo');
  });

  it('prefers the one on sale, then the one opening first; none when nothing is usable', () => {
    const yesterday = activity(1, { startIn: -25 * 60 * MINUTE, endIn: -MINUTE, status: 'ENDED' });
    const soon = activity(2, { startIn: 2 * MINUTE, endIn: 60 * MINUTE });
    const sooner = activity(3, { startIn: MINUTE, endIn: 60 * MINUTE });
    const onSale = activity(4, { startIn: -MINUTE, endIn: 30 * MINUTE });
    assert.equal(pickDemo([yesterday], NOW), undefined);
    assert.equal(pickDemo([yesterday, soon, sooner], NOW)?.id, 3);
    assert.equal(pickDemo([soon, onSale, sooner], NOW)?.id, 4);
  });
});
