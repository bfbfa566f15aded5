import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../http/openapi';
import { DomainError } from '../errors/domain-error';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  @ApiOperation({ summary: 'The process is up and serving HTTP (every service)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['up'] } }, example: { status: 'up' } } })
  @ApiErrors()
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  /** Every dependency this service needs answers; 503 BUSY (retryable) naming the ones that do not. */
  @Get('ready')
  @ApiOperation({ summary: 'Every dependency this service needs answers (every service); 503 BUSY names those that do not' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['up'] }, checks: { type: 'object', additionalProperties: { type: 'string', enum: ['up', 'down'] } } },
      example: { status: 'up', checks: { mysql: 'up', redis: 'up' } },
    },
  })
  @ApiErrors('BUSY')
  async ready(): Promise<{ status: 'up'; checks: Record<string, string> }> {
    const readiness = await this.health.readiness();
    if (!readiness.ready) {
      const down = Object.keys(readiness.checks).filter((name) => readiness.checks[name] === 'down');
      throw new DomainError('BUSY', `not ready: ${down.join(', ')} unreachable`, { details: readiness.checks });
    }
    return { status: 'up', checks: readiness.checks };
  }
}
