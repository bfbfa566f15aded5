import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import type { ValidatorOptions } from 'class-validator';
import { DomainError } from './domain-error';

/**
 * How every body, query and parameter DTO is validated, by the global pipe and by any hook that validates ahead of
 * it (the purchase fast path): unknown fields are refused rather than stripped silently.
 */
export const VALIDATOR_OPTIONS: Readonly<ValidatorOptions> = Object.freeze({
  whitelist: true,
  forbidNonWhitelisted: true,
  stopAtFirstError: false,
});

export interface FieldProblem {
  field: string;
  problems: string[];
}

/**
 * The rule a field breaks: the first of its rules, as the DTO declares them, that fails. A value of the wrong type
 * fails every rule of its field ("abc" is no integer, and neither ≥ 0 nor ≤ 100 either); only the first one says
 * what is wrong. class-validator reports a field's failures in the reverse of their declaration order (decorators
 * apply bottom-up), so that is the last one; a test of createValidationPipe pins this.
 */
function ruleBroken(constraints: Record<string, string>): string[] {
  const failures = Object.values(constraints);
  return failures.length === 0 ? [] : [failures[failures.length - 1]];
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: ruleBroken(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Field names class-transformer drops without a word when it maps a plain object onto a DTO: Object.prototype's
 * (`constructor`, `toString`, `hasOwnProperty`…, whose value on the new instance is a function it will not
 * overwrite), `__proto__` and, from a value without a prototype, `prototype`. They never reach the validator, so `forbidNonWhitelisted` cannot refuse them: a
 * registration with `"constructor": 1` beside its fields was accepted. They are looked for in the plain value first.
 */
const DROPPED_SILENTLY = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  // Dropped too when the value has no prototype, as a query string parsed by Fastify has: `?prototype=1` was accepted
  // beside a query's fields (found by the property tests in tools/security).
  'prototype',
]);

/**
 * The dotted paths of every field of a plain value that class-transformer would drop silently (Object.prototype's
 * names and `__proto__`): any is an unknown field, to be refused. For code that validates ahead of the global pipe.
 */
export function droppedFields(value: unknown, parent = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.keys(value).flatMap((key) => {
    const field = parent ? `${parent}.${key}` : key;
    return DROPPED_SILENTLY.has(key) ? [field] : droppedFields((value as Record<string, unknown>)[key], field);
  });
}

/** Nest's ValidationPipe, refusing first the fields it would otherwise drop silently (see DROPPED_SILENTLY). */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.toValidate(metadata)) {
      const dropped = droppedFields(value);
      if (dropped.length > 0) {
        const details: FieldProblem[] = dropped.map((field) => ({ field, problems: [`property ${field} should not exist`] }));
        throw new DomainError('VALIDATION_FAILED', details.map((d) => `${d.field}: ${d.problems[0]}`).join('; '), { details });
      }
    }
    return super.transform(value, metadata);
  }

  /**
   * A named path or query parameter reaches its own pipe as the request's text. Nest would first turn it into the
   * handler's parameter type (`+value` for a number), so "0x1", "1e0" and "1 " all became activity 1 before
   * ActivityIdPipe could refuse them.
   */
  protected override transformPrimitive(value: unknown): unknown {
    return value;
  }
}

/** The global ValidationPipe: strips nothing silently (unknown fields are refused), answers VALIDATION_FAILED. */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const summary = details.map((d) => `${d.field}: ${d.problems.join(', ')}`).join('; ');
      return new DomainError('VALIDATION_FAILED', summary || 'validation failed', { details });
    },
  });
}
