import { Controller, Get, MessageEvent, Sse, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ADMIN_ERRORS, ApiErrors } from '@seckill/platform';
import { StatsDto } from '../dto/admin-views.dto';
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
  @ApiOkResponse({ type: StatsDto })
  @ApiErrors(...ADMIN_ERRORS, 'BUSY')
  snapshot(): Promise<StatsSnapshot> {
    return this.stats.snapshot();
  }

  @Sse('stream')
  @ApiOperation({
    summary: 'GET /api/admin/stats as server-sent events, about once a second (Bearer or session cookie)',
    description: 'A browser\'s EventSource cannot send a header: it sends the session cookie POST /api/admin/session sets instead.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'an event stream; each event\'s data is the StatsDto JSON', schema: { type: 'string' } })
  @ApiErrors(...ADMIN_ERRORS)
  events(): Observable<MessageEvent> {
    return this.stream.events;
  }
}
