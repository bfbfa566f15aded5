import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { DomainError } from './domain-error';
import { createValidationPipe, FieldProblem } from './validation';

class Sample {
  @IsString() @MinLength(1) @MaxLength(20)
  title!: string;

  @IsInt() @Min(0) @Max(100)
  percent!: number;

  @IsOptional() @IsInt() @Min(1)
  limit?: number;
}

async function problems(value: unknown): Promise<FieldProblem[]> {
  try {
    await createValidationPipe().transform(value, { type: 'body', metatype: Sample });
  } catch (error) {
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, 'VALIDATION_FAILED');
    return error.details as FieldProblem[];
  }
  assert.fail('the value passed validation');
}

describe('createValidationPipe', () => {
  it('names, per field, the first rule it breaks as the DTO declares them, not every rule of the field', async () => {
    assert.deepEqual(await problems({ title: 42, percent: 'abc' }), [
      { field: 'title', problems: ['title must be a string'] },
      { field: 'percent', problems: ['percent must be an integer number'] },
    ]);
    assert.deepEqual(await problems({ title: '', percent: 101, limit: 0 }), [
      { field: 'title', problems: ['title must be longer than or equal to 1 characters'] },
      { field: 'percent', problems: ['percent must not be greater than 100'] },
      { field: 'limit', problems: ['limit must not be less than 1'] },
    ]);
  });

  it('refuses unknown fields', async () => {
    assert.deepEqual(await problems({ title: 'a', percent: 1, extra: true }), [
      { field: 'extra', problems: ['property extra should not exist'] },
    ]);
  });

  it("refuses the names of Object.prototype's members and __proto__, which class-transformer would drop silently", async () => {
    assert.deepEqual(await problems({ title: 'a', percent: 1, constructor: 1 }), [
      { field: 'constructor', problems: ['property constructor should not exist'] },
    ]);
    assert.deepEqual(await problems(JSON.parse('{"title":"a","percent":1,"toString":"x","nested":{"hasOwnProperty":1}}')), [
      { field: 'toString', problems: ['property toString should not exist'] },
      { field: 'nested.hasOwnProperty', problems: ['property nested.hasOwnProperty should not exist'] },
    ]);
    // JSON.parse makes "__proto__" an own key, as a query string parser does.
    assert.deepEqual(await problems(JSON.parse('{"title":"a","percent":1,"__proto__":"1"}')), [
      { field: '__proto__', problems: ['property __proto__ should not exist'] },
    ]);
  });

  it('refuses `prototype` in a value without a prototype, as Fastify parses a query string', async () => {
    const query = Object.assign(Object.create(null) as Record<string, unknown>, { title: 'a', percent: 1, prototype: '1' });
    assert.deepEqual(await problems(query), [{ field: 'prototype', problems: ['property prototype should not exist'] }]);
  });
});

describe('createValidationPipe on a named parameter', () => {
  it("hands a parameter pipe the request's own text, not a number Nest made of it", async () => {
    for (const text of ['0x1', '1e0', '1 ', '01']) {
      assert.equal(await createValidationPipe().transform(text, { type: 'param', metatype: Number, data: 'id' }), text);
    }
  });
});
