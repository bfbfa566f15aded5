import { Body, Controller, Get, HttpCode, Ip, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActivityView, ReservationResult } from '@seckill/contracts';
import { CurrentUser, JwtAuthGuard, Principal } from '@seckill/platform';
import { ACTIVITIES_PATH, PURCHASE_PATH } from './activities.routes';
import { ActivityIdPipe } from './dto/activity-id.pipe';
import { PurchaseAccepted, PurchaseDto, PurchaseTokenResponse } from './dto/purchase.dto';
import { CatalogQueries } from './catalog.queries';
import { PurchaseService } from './purchase.service';
import { ReadDegradation } from './read-degradation';

@ApiTags('activities')
@Controller(ACTIVITIES_PATH)
export class ActivitiesController {
  constructor(
    private readonly catalog: CatalogQueries,
    private readonly purchases: PurchaseService,
    private readonly degradation: ReadDegradation,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every activity' })
  list(): Promise<ActivityView[]> {
    return this.catalog.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One activity (404 for an unknown id, answered without MySQL)' })
  get(@Param('id', ActivityIdPipe) id: number): Promise<ActivityView> {
    return this.catalog.view(id);
  }

  @Get(':id/stock')
  stock(@Param('id', ActivityIdPipe) id: number): Promise<{ remaining: number }> {
    return this.catalog.stock(id);
  }

  @Post(':id/token')
  @HttpCode(200)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The per-user purchase token, once the activity has started' })
  token(@Param('id', ActivityIdPipe) id: number, @CurrentUser() user: Principal): Promise<PurchaseTokenResponse> {
    this.degradation.assertTokensIssued();
    return this.purchases.issueToken(id, user);
  }

  /**
   * The reference door of the purchase; well-formed purchases are normally served by the fast path
   * (purchase-fast-path.ts), which answers exactly as this does. Checks in order: body (size, type, JSON) → access
   * token → activity id → body fields → PurchaseService.purchase (see there).
   */
  @Post(PURCHASE_PATH)
  @HttpCode(202)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Reserve one unit; the order is created asynchronously' })
  purchase(
    @Param('id', ActivityIdPipe) id: number,
    @Body() body: PurchaseDto,
    @CurrentUser() user: Principal,
    @Ip() ip: string,
  ): Promise<PurchaseAccepted> {
    return this.purchases.purchase(id, user, body.token, ip);
  }

  @Get(':id/result')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  result(@Param('id', ActivityIdPipe) id: number, @CurrentUser() user: Principal): Promise<ReservationResult> {
    this.degradation.assertResultPoll(user.userId);
    return this.purchases.result(id, user);
  }
}
