import { HttpException } from '@nestjs/common';
import { ERROR_CODES, ErrorBody, ErrorCode } from '@seckill/contracts';
import { DomainError } from './domain-error';

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when the error is not one the API expects: it is logged with its stack, never shown to the client. */
  unexpected: boolean;
}

/** Fastify's own errors (body parsing, limits) by their code, mapped to the contract's codes. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the body must be application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'VALIDATION_FAILED', message: 'content-length does not match the body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is over 16 KiB' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'VALIDATION_FAILED', message: 'the body is empty but declared as JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'VALIDATION_FAILED', message: 'the body is not valid JSON' },
  FST_ERR_BAD_URL: { code: 'VALIDATION_FAILED', message: 'the URL is malformed' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'VALIDATION_FAILED', message: 'the request is malformed' },
};

/** Status codes Nest or Fastify may raise on their own, mapped to the nearest contract code. */
const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'BUSY',
};

function body(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  const result: ErrorBody = { code, message, retryable: ERROR_CODES[code].retryable };
  if (details !== undefined) result.details = details;
  return result;
}

function headersFor(status: number, retryAfterSeconds?: number): Record<string, string> {
  if (status === 429 || status === 503) return { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds ?? 1))) };
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
 * Maps anything thrown while serving a request to the API's error body. Domain errors keep their code;
 * Nest's and Fastify's own errors get the nearest contract code; anything else is a 500 whose body says
 * nothing about its cause.
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
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  if (typeof fastifyCode === 'string' && fastifyCode in FASTIFY_CODES) {
    const known = FASTIFY_CODES[fastifyCode];
    const status = ERROR_CODES[known.code].status;
    return { status, body: body(known.code, known.message), headers: headersFor(status), unexpected: false };
  }
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code = STATUS_CODES[statusCode] ?? 'VALIDATION_FAILED';
    const status = ERROR_CODES[code].status;
    return { status, body: body(code, 'the request is malformed'), headers: headersFor(status), unexpected: false };
  }
  return { status: 500, body: body('INTERNAL', 'internal error'), headers: {}, unexpected: true };
}
