import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createValidationPipe, DomainError } from '@seckill/platform';
import { TokenRequestDto } from './front-door.dto';

describe('TokenRequestDto', () => {
  // Found by the property tests of tools/security: `{"solution": []}` got a purchase token (ValidateNested validates an
  // array element by element, and an empty one has none).
  it('takes a solution as an object, not an array', async () => {
    for (const solution of [[], [{ counter: 1, derivedKey: 'ab' }]]) {
      await assert.rejects(
        createValidationPipe().transform({ solution }, { type: 'body', metatype: TokenRequestDto }),
        (error) => error instanceof DomainError && error.code === 'VALIDATION_FAILED' && JSON.stringify(error.details).includes('"solution'),
      );
    }
  });
});
