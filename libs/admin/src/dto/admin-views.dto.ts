import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions, SchemaObject } from '@nestjs/swagger';
import { defaultSwitchValues, SWITCHES } from '@seckill/flow-control';
import { PLAN_NAMES } from '../plans/degradation-plans';

/*
 * The admin API's answers as OpenAPI schemas (the services return plain objects of the interfaces named in each
 * comment; these classes only describe them). Nested values whose shape follows configuration (switches, queues,
 * counts by error code) are documented as maps with an example.
 */

const SWITCH_VALUE: SchemaObject = { oneOf: [{ type: 'boolean' }, { type: 'integer' }, { type: 'string' }] };
const SWITCH_VALUES_DESCRIPTION = 'every switch by name with its value in force (GET /api/admin/switches/definitions describes each)';

/** For properties holding the switch values. */
const SWITCH_VALUES_PROPERTY = {
  type: 'object',
  additionalProperties: SWITCH_VALUE,
  description: SWITCH_VALUES_DESCRIPTION,
  example: defaultSwitchValues(),
} as const satisfies ApiPropertyOptions;

/** The switch values in force (SwitchValues), as a response schema. */
export const SwitchValuesSchema: SchemaObject = {
  type: 'object',
  additionalProperties: SWITCH_VALUE,
  description: SWITCH_VALUES_DESCRIPTION,
  example: defaultSwitchValues(),
};

/** Each switch's definition (SWITCHES). */
export const SwitchDefinitionsSchema: SchemaObject = {
  type: 'object',
  description: "each switch's type, range or values, default and description",
  additionalProperties: { type: 'object' },
  example: { registration: SWITCHES.registration, purchaseShedPercent: SWITCHES.purchaseShedPercent },
};

/** A plan in force (PlanState). */
export class PlanStateDto {
  @ApiProperty({ enum: PLAN_NAMES, example: 'level1' }) name!: string;
  @ApiProperty({ description: "entered by the automatic window around an activity's start", example: false }) auto!: boolean;
  @ApiPropertyOptional({ description: 'the activity whose start an automatic entry is for', example: 1 }) activityId?: number;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T11:55:00.000Z' }) at!: string;
  @ApiProperty({ description: 'an operator\'s user id, or "system"', example: '1' }) by!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the values a revert puts back (false: the default)' })
  saved!: Record<string, unknown>;
}

/** One degradation plan (PlanDefinition & { name }). */
export class PlanDefinitionDto {
  @ApiProperty({ enum: PLAN_NAMES, example: 'level1' }) name!: string;
  @ApiProperty({ example: 'Level 1: non-core reads off' }) title!: string;
  @ApiProperty() description!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'the switch values it sets',
    example: { registration: false, orderQueries: false },
  })
  switches!: Record<string, unknown>;
}

export class PlansDto {
  @ApiProperty({ type: PlanStateDto, nullable: true }) active!: PlanStateDto | null;
  @ApiProperty({ type: [PlanDefinitionDto] }) plans!: PlanDefinitionDto[];
}

/** The answer of applying or reverting a plan (PlanOutcome). */
export class PlanOutcomeDto {
  @ApiProperty({ type: PlanStateDto, nullable: true }) active!: PlanStateDto | null;
  @ApiProperty(SWITCH_VALUES_PROPERTY) switches!: Record<string, unknown>;
}

/** One audit entry (AuditEntryView). */
export class AuditEntryDto {
  @ApiProperty({ example: '17' }) id!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T11:55:00.000Z' }) at!: string;
  @ApiProperty({ description: 'the username, or "system"', example: 'admin' }) actor!: string;
  @ApiProperty({ type: String, nullable: true, example: '1' }) actorId!: string | null;
  @ApiProperty({ example: 'switch.set' }) action!: string;
  @ApiProperty({ example: 'purchaseShedPercent' }) target!: string;
  @ApiProperty({ description: 'the value before (any JSON)', example: 0 }) before!: unknown;
  @ApiProperty({ description: 'the value after (any JSON)', example: 50 }) after!: unknown;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] }) items!: AuditEntryDto[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as cursor for the next page; null on the last', example: null })
  nextCursor!: string | null;
}

/** A job that failed for good (FailedJobView). */
export class FailedJobDto {
  @ApiProperty({ example: '1-1732795200000-0' }) id!: string;
  @ApiProperty({ example: 'order-create' }) queue!: string;
  @ApiProperty({ description: "the job's payload (any JSON)" }) data!: unknown;
  @ApiProperty({ example: 'connect ECONNREFUSED 127.0.0.1:3306' }) reason!: string;
  @ApiProperty({ example: 12 }) attemptsMade!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) failedAt!: string | null;
}

export class QueuesDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } },
    description: 'per queue, the number of jobs in each state',
    example: { 'order-create': { waiting: 0, active: 1, delayed: 0, failed: 0, completed: 42 } },
  })
  depths!: Record<string, Record<string, number>>;
  @ApiProperty({ type: [FailedJobDto] }) failed!: FailedJobDto[];
}

/** The answer of retrying or discarding a job (JobActionResult). */
export class JobActionDto {
  @ApiProperty({ example: 'order-create' }) queue!: string;
  @ApiProperty({ example: '1-1732795200000-0' }) id!: string;
  @ApiProperty({ description: '"waiting" after a retry, "removed" after a discard', example: 'waiting' }) state!: string;
  @ApiPropertyOptional({ description: 'discard of an order-create job: units returned to stock', example: 3 }) released?: number;
}

class CountsByStatus {
  @ApiProperty({ example: 120 }) pendingPayment!: number;
  @ApiProperty({ example: 370 }) paid!: number;
  @ApiProperty({ example: 10 }) cancelled!: number;
}

/** Redis, MySQL and the provider's ledger held against each other (Reconciliation). */
export class ReconciliationDto {
  @ApiProperty({ example: true }) consistent!: boolean;
  @ApiProperty({ example: 1 }) activityId!: number;
  @ApiProperty({ example: 500 }) stock!: number;
  @ApiProperty({ description: 'units left in Redis', example: 0 }) remaining!: number;
  @ApiProperty({ description: 'units held by reservations not released', example: 490 }) reserved!: number;
  @ApiProperty({ type: CountsByStatus }) orders!: CountsByStatus;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { succeeded: 370 } }) payments!: Record<string, number>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { charged: 370, refunded: 0 } })
  ledger!: { charged: number; refunded: number };
  @ApiProperty({ description: 'reservations still on their way to MySQL', example: 0 }) inFlight!: number;
  @ApiProperty({ type: [String], example: [] }) mismatches!: string[];
}

/** The live stats (StatsSnapshot): the dashboard's data, documented by its top-level fields. */
export class StatsDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'per activity: stock, remaining, reserved, orders created, paid and cancelled' })
  activities!: unknown[];
  @ApiProperty({ example: 1200 }) requestsPerSecond!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'perSecond, acceptedPerSecond, p99Ms, totals by outcome' }) purchases!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'purchase refusals by error code: perSecond and totals' }) rejections!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'per queue, the jobs in each state' }) queues!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { backlog: 0 } }) relay!: { backlog: number };
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'each payment instance\'s breaker (null until one reports)' })
  breaker!: Record<string, unknown> | null;
  @ApiProperty(SWITCH_VALUES_PROPERTY) switches!: Record<string, unknown>;
  @ApiProperty({ type: PlanStateDto, nullable: true }) plan!: PlanStateDto | null;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'the last minute, second by second' }) series!: unknown[];
}

export class SessionDto {
  @ApiProperty({ description: "seconds the cookie lasts (the access token's lifetime)", example: 3600 }) expiresIn!: number;
}
