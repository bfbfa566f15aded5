import { ValidationError, ValidationPipe } from '@nestjs/common';
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

/** The global ValidationPipe: strips nothing silently (unknown fields are refused), answers VALIDATION_FAILED. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const summary = details.map((d) => `${d.field}: ${d.problems.join(', ')}`).join('; ');
      return new DomainError('VALIDATION_FAILED', summary || 'validation failed', { details });
    },
  });
}
