import { Body, Controller, Get, HttpCode, Ip, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActivityView, ReservationResult } from '@seckill/contracts';
import { CurrentUser, JwtAuthGuard, Principal } from '@seckill/platform';
import { ActivityIdParams, PurchaseAccepted, PurchaseDto, PurchaseTokenResponse } from './dto/purchase.dto';
import { CatalogQueries } from './catalog.queries';
import { PurchaseService } from './purchase.service';

@ApiTags('activities')
@Controller('api/activities')
export class ActivitiesController {
  constructor(
    private readonly catalog: CatalogQueries,
    private readonly purchases: PurchaseService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every activity' })
  list(): Promise<ActivityView[]> {
    return this.catalog.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One activity (404 for an unknown id, answered without MySQL)' })
  get(@Param() params: ActivityIdParams): Promise<ActivityView> {
    return this.catalog.view(params.id);
  }

  @Get(':id/stock')
  stock(@Param() params: ActivityIdParams): Promise<{ remaining: number }> {
    return this.catalog.stock(params.id);
  }

  @Post(':id/token')
  @HttpCode(200)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The per-user purchase token, once the activity has started' })
  token(@Param() params: ActivityIdParams, @CurrentUser() user: Principal): Promise<PurchaseTokenResponse> {
    return this.purchases.issueToken(params.id, user);
  }

  @Post(':id/purchase')
  @HttpCode(202)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Reserve one unit; the order is created asynchronously' })
  purchase(
    @Param() params: ActivityIdParams,
    @Body() body: PurchaseDto,
    @CurrentUser() user: Principal,
    @Ip() ip: string,
  ): Promise<PurchaseAccepted> {
    return this.purchases.purchase(params.id, user, body.token, ip);
  }

  @Get(':id/result')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  result(@Param() params: ActivityIdParams, @CurrentUser() user: Principal): Promise<ReservationResult> {
    return this.purchases.result(params.id, user);
  }
}
