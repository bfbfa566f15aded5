import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';

/** How log entries are written: JSON lines, or pino-pretty's readable lines (development). */
export type LogFormat = 'auto' | 'pretty' | 'json';

/**
 * Nest's start-up chatter (modules initialised, every route mapped, "starting", "started") goes to debug: at info, a
 * service's start is its own "listening" line, and six services starting together stay readable.
 */
const START_UP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * Nest's logger over pino: structured JSON lines on stdout, or pino-pretty's lines in development. Hand-written (a
 * dozen lines) rather than nestjs-pino because that one builds a child logger for every request, a cost the hot path
 * need not pay: requests are logged once, when they end (see registerRequestLogging).
 */
export class PinoLogger implements LoggerService {
  readonly pino: Logger;

  constructor(service: string, level: string, format: LogFormat = 'json', nodeEnv = 'production') {
    const options = { level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime };
    const pretty = format === 'pretty' || (format === 'auto' && nodeEnv === 'development') ? prettyStream() : undefined;
    this.pino = pretty ? pino(options, pretty) : pino(options);
  }

  log(message: unknown, context?: string): void {
    if (context !== undefined && START_UP_CONTEXTS.has(context)) this.pino.debug({ context }, String(message));
    else this.pino.info({ context }, String(message));
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

/**
 * pino-pretty as a synchronous stream in this thread (not a transport's worker: order with stderr is kept and nothing
 * is lost when a process dies), or undefined where it is not installed (production images have no development
 * dependencies), and JSON it is.
 */
function prettyStream(): DestinationStream | undefined {
  let build: (options: Record<string, unknown>) => DestinationStream;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    build = require('pino-pretty') as typeof build;
  } catch {
    return undefined;
  }
  return build({
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The request's method, path, status and time are in its message already.
    ignore: 'pid,hostname,service,context,method,route,url,status,ms',
    messageFormat: '{if context}{context}: {end}{msg}',
    singleLine: true,
  });
}
