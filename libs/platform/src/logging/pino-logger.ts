import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/**
 * Nest's logger over pino: structured JSON lines on stdout. Hand-written (a dozen lines) rather than
 * nestjs-pino because that one builds a child logger for every request, a cost the hot path need not pay:
 * requests are counted in metrics, and only errors and lifecycle events are logged.
 */
export class PinoLogger implements LoggerService {
  readonly pino: Logger;

  constructor(service: string, level: string) {
    this.pino = pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
  }

  log(message: unknown, context?: string): void {
    this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }
}
