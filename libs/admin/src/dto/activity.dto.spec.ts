import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArgumentMetadata } from '@nestjs/common';
import { createValidationPipe, DomainError } from '@seckill/platform';
import { ActivityIdParam, CreateActivityDto, UpdateActivityDto } from './activity.dto';

// Inputs the property tests of tools/security found accepted: a time given as a number or a boolean (read as 1970),
// a waiting room given as an array, and other spellings of an activity id.

const pipe = createValidationPipe();

async function refused(value: unknown, metadata: ArgumentMetadata): Promise<string[]> {
  try {
    await pipe.transform(value, metadata);
  } catch (error) {
    assert.ok(error instanceof DomainError && error.code === 'VALIDATION_FAILED', String(error));
    return (error.details as Array<{ field: string }>).map((detail) => detail.field);
  }
  assert.fail(`${JSON.stringify(value)} was accepted`);
}

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });
const valid = { title: 't', priceCents: 100, stock: 1, startAt: '2030-01-01T00:00:00.000Z', endAt: '2030-01-01T01:00:00.000Z' };

describe('activity DTOs', () => {
  it('take times as ISO-8601 strings only', async () => {
    for (const startAt of [true, 5, -1105761032, 1795844591338]) {
      assert.deepEqual(await refused({ ...valid, startAt }, body(CreateActivityDto)), ['startAt']);
      assert.deepEqual(await refused({ startAt }, body(UpdateActivityDto)), ['startAt']);
    }
    const accepted = (await pipe.transform(valid, body(CreateActivityDto))) as CreateActivityDto;
    assert.equal(accepted.startAt.toISOString(), valid.startAt);
  });

  it('take a waiting room as an object, not an array', async () => {
    assert.deepEqual(await refused({ waitingRoom: [] }, body(UpdateActivityDto)), ['waitingRoom']);
  });

  it('take an id in the path in decimal digits only', async () => {
    for (const id of ['01', '+1', ' 1', '1 ', '1e0', '0x1', '1.0']) {
      assert.deepEqual(await refused({ id }, { type: 'param', metatype: ActivityIdParam }), ['id'], id);
    }
    assert.deepEqual(await pipe.transform({ id: '42' }, { type: 'param', metatype: ActivityIdParam }), Object.assign(new ActivityIdParam(), { id: 42 }));
  });
});
