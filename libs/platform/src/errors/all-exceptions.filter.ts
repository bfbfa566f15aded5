import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { mapError } from './error-mapper';

/** The one place that turns an error into the API's error body (see mapError). */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    sendError(reply, exception, this.logger);
  }
}

/** Sends the error body for an error (Fastify's own errors reach the filter too: Nest routes them through it). */
export function sendError(reply: FastifyReply, error: unknown, logger: Pick<Logger, 'error'>): void {
  const mapped = mapError(error);
  if (mapped.unexpected) {
    logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  if (reply.sent) return;
  void reply.status(mapped.status).headers(mapped.headers).type('application/json; charset=utf-8').send(mapped.body);
}
