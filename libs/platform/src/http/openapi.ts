import { applyDecorators, INestApplication } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ERROR_CODES, ErrorBody, ErrorCode, SERVICES, ServiceName } from '@seckill/contracts';

/*
 * The OpenAPI vocabulary every controller shares, in one place: the error body's schema, one decorator that documents
 * the error answers a route can give (ApiErrors), the usual sets of codes, and the document builder that both /docs
 * and `npm run openapi` use, so that what a service serves and the committed docs/openapi.json cannot differ.
 * Explicit decorators rather than the @nestjs/swagger CLI plugin: the plugin is a TypeScript transformer, and the
 * build is plain `tsc`, which runs none.
 */

/** The body of every answer with status >= 400 (libs/contracts ErrorBody), as an OpenAPI schema. */
export class ErrorBodyDto implements ErrorBody {
  @ApiProperty({ enum: Object.keys(ERROR_CODES), description: 'what went wrong, for programs (libs/contracts/src/error-codes.ts)' })
  code!: ErrorCode;
  @ApiProperty({ description: 'what went wrong, for people; never a stack trace' })
  message!: string;
  @ApiProperty({ description: 'whether the same request may succeed later (then honour Retry-After)' })
  retryable!: boolean;
  @ApiPropertyOptional({
    description: 'VALIDATION_FAILED only: each field and its problems',
    example: [{ field: 'token', problems: ['token must be a string'] }],
  })
  details?: unknown;
  @ApiPropertyOptional({ description: 'ALREADY_PURCHASED only: the reservation the user already holds' })
  reservationId?: string;
  @ApiPropertyOptional({ description: "NOT_ADMITTED only: the shopper's place in the waiting room" })
  position?: number;
}

/** A typical message per code, for the examples (the real messages say more, e.g. which field or limit). */
const EXAMPLE_MESSAGES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'token: token must be a string',
  INVALID_SECKILL_TOKEN: 'the purchase token is invalid or expired',
  UNAUTHENTICATED: 'missing or invalid access token',
  FORBIDDEN: 'this needs the admin role',
  NOT_FOUND: 'no such resource',
  USERNAME_TAKEN: 'this username is taken',
  NOT_STARTED: 'the activity has not started',
  ALREADY_PURCHASED: 'you already hold a unit of this activity',
  ORDER_NOT_PAYABLE: 'the order is not awaiting payment',
  ALREADY_STARTED: 'the activity has started: its stock and times can no longer be changed',
  NOT_ADMITTED: 'the waiting room has not admitted you yet',
  CHALLENGE_FAILED: 'the proof-of-work answer is missing, wrong, reused or expired',
  FULL: 'the activity admits no more participants',
  SOLD_OUT: 'sold out',
  ENDED: 'the activity has ended',
  PAYLOAD_TOO_LARGE: 'the body is larger than 16384 bytes',
  URI_TOO_LONG: 'the path is longer than any valid one',
  UNSUPPORTED_MEDIA_TYPE: 'bodies must be application/json',
  RATE_LIMITED: 'too many requests, retry later',
  BUSY: 'the service is at capacity, retry later',
  DEGRADED: 'switched off during the peak, retry later',
  PAYMENT_UNAVAILABLE: 'the payment provider is unavailable, retry later',
  INTERNAL: 'internal error',
};

/** Extra fields some codes carry, for their examples. */
const EXAMPLE_EXTRAS: Partial<Record<ErrorCode, Partial<ErrorBody>>> = {
  VALIDATION_FAILED: { details: [{ field: 'token', problems: ['token must be a string'] }] },
  ALREADY_PURCHASED: { reservationId: 'r-1-184467440737095516' },
  NOT_ADMITTED: { position: 42 },
};

/** Codes that carry Retry-After besides every 429 and 503 (they say when to come back). */
const RETRY_AFTER_CODES: readonly ErrorCode[] = ['NOT_STARTED', 'NOT_ADMITTED'];

/** What any route can answer before its handler runs: a path longer than any valid one. */
const EVERY_ROUTE: readonly ErrorCode[] = ['URI_TOO_LONG'];

/** Routes that take a JSON body: the request edge's answers (size, media type, syntax) and validation. */
export const JSON_BODY_ERRORS: readonly ErrorCode[] = ['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];
/** Routes behind JwtAuthGuard. */
export const AUTHENTICATED_ERRORS: readonly ErrorCode[] = ['UNAUTHENTICATED'];
/** Routes behind JwtAuthGuard with @Roles('admin'). */
export const ADMIN_ERRORS: readonly ErrorCode[] = ['UNAUTHENTICATED', 'FORBIDDEN'];

/**
 * Documents the error answers of a route: one response per status, each the ErrorBody schema with an example per
 * code (and Retry-After where the answer carries it). Every route also gets 414 URI_TOO_LONG. Use it once per route
 * with every code the route can answer, e.g. `@ApiErrors(...AUTHENTICATED_ERRORS, 'NOT_FOUND')`.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...codes, ...EVERY_ROUTE])) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses = [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, group]) => {
      const retryAfter = status === 429 || status === 503 || group.some((code) => RETRY_AFTER_CODES.includes(code));
      return ApiResponse({
        status,
        description: group.map((code) => `${code}${ERROR_CODES[code].retryable ? ' (retryable)' : ''}`).join(', '),
        headers: retryAfter ? { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' } } } : undefined,
        content: {
          'application/json': {
            schema: { $ref: getSchemaPath(ErrorBodyDto) },
            examples: Object.fromEntries(
              group.map((code) => [
                code,
                { value: { code, message: EXAMPLE_MESSAGES[code], retryable: ERROR_CODES[code].retryable, ...EXAMPLE_EXTRAS[code] } },
              ]),
            ),
          },
        },
      });
    });
  return applyDecorators(ApiExtraModels(ErrorBodyDto), ...responses);
}

/** The Idempotency-Key header of POST /api/payments, named once for the controller and the docs. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * A service's OpenAPI document, as /docs serves it and `npm run openapi` combines it: its routes (the Nest
 * controllers; routes registered on Fastify directly are not in it, see docs/api.md), the Bearer scheme and the
 * error body.
 */
export function createOpenApiDocument(app: INestApplication, service: ServiceName): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`seckill ${service} service`)
      .setDescription(`Serves ${SERVICES[service].prefix}. The guide: docs/api.md in the repository.`)
      .setVersion('1')
      .addBearerAuth()
      .build(),
    { extraModels: [ErrorBodyDto] },
  );
}
