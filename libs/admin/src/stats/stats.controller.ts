import { Controller, Get, MessageEvent, Sse, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Observable } from 'rxjs';
import { AdminStreamGuard } from '../session/admin-stream.guard';
import { StatsService, StatsSnapshot } from './stats.service';
import { StatsStream } from './stats.stream';

/** Live stats, on request and as a stream of server-sent events (about one a second). */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminStreamGuard)
@Controller('api/admin')
export class StatsController {
  constructor(
    private readonly stats: StatsService,
    private readonly stream: StatsStream,
  ) {}

  @Get('stats')
  @ApiOperation({ summary: 'Per activity stock and orders, traffic, rejections, queues, relay, breaker, switches' })
  snapshot(): Promise<StatsSnapshot> {
    return this.stats.snapshot();
  }

  @Sse('stream')
  @ApiOperation({ summary: 'GET /api/admin/stats as server-sent events, about once a second (Bearer or session cookie)' })
  events(): Observable<MessageEvent> {
    return this.stream.events;
  }
}
