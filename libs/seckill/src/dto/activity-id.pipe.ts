import { Injectable, PipeTransform } from '@nestjs/common';
import { DomainError } from '@seckill/platform';

const ACTIVITY_ID = /^[1-9][0-9]{0,9}$/;
const MAX_ACTIVITY_ID = 2147483647;

/**
 * The `:id` of every activity route. A pipe rather than a validated DTO class: it runs on the hottest routes and
 * costs a regular expression instead of a class-transformer/class-validator round (the body still gets those).
 */
@Injectable()
export class ActivityIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = ACTIVITY_ID.test(value) ? Number(value) : NaN;
    if (!(id <= MAX_ACTIVITY_ID)) {
      throw new DomainError('VALIDATION_FAILED', 'id must be a positive integer', {
        details: [{ field: 'id', problems: ['id must be a positive integer below 2^31'] }],
      });
    }
    return id;
  }
}
