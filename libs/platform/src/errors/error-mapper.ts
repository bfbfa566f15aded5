import { HttpException } from '@nestjs/common';
import { ERROR_CODES, ErrorBody, ErrorCode } from '@seckill/contracts';
import { isDependencyUnavailable } from './dependency-errors';
import { DomainError } from './domain-error';

/** The answer to a request a dependency could not serve (see isDependencyUnavailable). */
const DEPENDENCY_UNAVAILABLE = 'a service this depends on is unavailable for a moment; retry shortly';

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when the error is not one the API expects: it is logged with its stack, never shown to the client. */
  unexpected: boolean;
}

/** Status codes Nest or Fastify may raise on their own, mapped to the nearest contract code. */
const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'BUSY',
};

function body(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  const result: ErrorBody = { code, message, retryable: ERROR_CODES[code].retryable };
  if (details !== undefined) result.details = details;
  return result;
}

/** 429 and 503 always carry Retry-After; any other answer does when the error says when to retry (e.g. NOT_STARTED). */
function headersFor(status: number, retryAfterSeconds?: number): Record<string, string> {
  if (status === 429 || status === 503 || retryAfterSeconds !== undefined) {
    return { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds ?? 1))) };
  }
  return {};
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/**
 * Maps anything thrown while serving a request to the API's error body. Domain errors keep their code; Nest's
 * own errors, and Fastify's (which Nest hands on as HttpException with Fastify's status and message: malformed
 * JSON, body too large, unsupported media type), get the nearest contract code; a dependency that is unreachable
 * (Redis, MySQL) is 503 BUSY with Retry-After; anything else is a 500 whose body says nothing about its cause.
 */
export function mapError(error: unknown): MappedError {
  if (error instanceof DomainError) {
    const result = body(error.code, error.message, error.details);
    Object.assign(result, error.extra);
    return { status: error.status, body: result, headers: headersFor(error.status, error.retryAfterSeconds), unexpected: false };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = STATUS_CODES[status];
    if (code) {
      const message = status === 404 ? 'no such resource' : messageOf(error);
      return { status, body: body(code, message), headers: headersFor(status), unexpected: false };
    }
  }
  if (error instanceof HttpException && error.getStatus() >= 400 && error.getStatus() < 500) {
    // Any other client error Nest or Fastify raises (e.g. 408, 414, 431): the request is at fault.
    return { status: 400, body: body('VALIDATION_FAILED', messageOf(error)), headers: {}, unexpected: false };
  }
  if (isDependencyUnavailable(error)) {
    // Expected in an outage, and logged once by the connection itself rather than per request.
    return { status: 503, body: body('BUSY', DEPENDENCY_UNAVAILABLE), headers: headersFor(503), unexpected: false };
  }
  return { status: 500, body: body('INTERNAL', 'internal error'), headers: {}, unexpected: true };
}
