import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DomainError } from '../errors/domain-error';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  /** Every dependency this service needs answers; 503 BUSY (retryable) naming the ones that do not. */
  @Get('ready')
  async ready(): Promise<{ status: 'up'; checks: Record<string, string> }> {
    const readiness = await this.health.readiness();
    if (!readiness.ready) {
      const down = Object.keys(readiness.checks).filter((name) => readiness.checks[name] === 'down');
      throw new DomainError('BUSY', `not ready: ${down.join(', ')} unreachable`, { details: readiness.checks });
    }
    return { status: 'up', checks: readiness.checks };
  }
}
