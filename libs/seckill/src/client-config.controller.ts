import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SwitchesService } from '@seckill/flow-control';
import { ApiErrors, AppConfig } from '@seckill/platform';
import { ClientConfigView } from './dto/front-door.dto';
import { RequestLimit, RequestLimitGuard } from './request-limit.guard';

/** What a well-behaved client (the shop page) honours; operators change it through the switches. */
@ApiTags('client')
@Controller('api/client-config')
export class ClientConfigController {
  constructor(
    private readonly switches: SwitchesService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @UseGuards(RequestLimitGuard)
  @RequestLimit('read')
  @ApiOperation({ summary: 'Click throttle, click drop share and result polling for clients; cacheable for 5 s' })
  @ApiOkResponse({ type: ClientConfigView })
  @ApiErrors('RATE_LIMITED', 'BUSY')
  get(): ClientConfigView {
    return {
      dropPercent: this.switches.get('clientDropPercent'),
      // While result polling is slowed on the server (resultPollSeconds), clients are told to poll no faster.
      resultPollMs: Math.max(this.switches.get('resultPollMs'), this.switches.get('resultPollSeconds') * 1000),
      clickThrottleMs: this.switches.get('clickThrottleMs'),
      serverTime: Date.now(),
      authUrl: this.config.SHOP_AUTH_URL,
    };
  }
}
