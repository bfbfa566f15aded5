import { Body, Controller, Get, HttpCode, Ip, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActivityView, ReservationResult } from '@seckill/contracts';
import { CurrentUser, JwtAuthGuard, Principal } from '@seckill/platform';
import { ACTIVITIES_PATH, PURCHASE_PATH } from './activities.routes';
import { ActivityIdPipe } from './dto/activity-id.pipe';
import { ChallengeView, QueuePlaceView, TokenRequestDto } from './dto/front-door.dto';
import { PurchaseAccepted, PurchaseDto, PurchaseTokenResponse } from './dto/purchase.dto';
import { CatalogQueries } from './catalog.queries';
import { FrontDoorService } from './front-door.service';
import { PurchaseService } from './purchase.service';
import { ReadDegradation } from './read-degradation';
import { RequestLimit, RequestLimitGuard } from './request-limit.guard';

@ApiTags('activities')
@Controller(ACTIVITIES_PATH)
export class ActivitiesController {
  constructor(
    private readonly catalog: CatalogQueries,
    private readonly purchases: PurchaseService,
    private readonly degradation: ReadDegradation,
    private readonly frontDoor: FrontDoorService,
  ) {}

  @Get()
  @UseGuards(RequestLimitGuard)
  @ApiOperation({ summary: 'Every activity (cacheable for 1 s, with an ETag)' })
  list(): Promise<ActivityView[]> {
    return this.catalog.list();
  }

  @Get(':id')
  @UseGuards(RequestLimitGuard)
  @ApiOperation({ summary: 'One activity (404 for an unknown id, answered without MySQL; cacheable for 1 s)' })
  get(@Param('id', ActivityIdPipe) id: number): Promise<ActivityView> {
    return this.catalog.view(id);
  }

  @Get(':id/stock')
  @UseGuards(RequestLimitGuard)
  stock(@Param('id', ActivityIdPipe) id: number): Promise<{ remaining: number }> {
    return this.catalog.stock(id);
  }

  @Post(':id/token')
  @HttpCode(200)
  @UseGuards(JwtAuthGuard, RequestLimitGuard)
  @RequestLimit('token')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The per-user purchase token, once the activity has started and its front door lets the caller in' })
  token(
    @Param('id', ActivityIdPipe) id: number,
    @Body() body: TokenRequestDto,
    @CurrentUser() user: Principal,
  ): Promise<PurchaseTokenResponse> {
    this.degradation.assertTokensIssued();
    return this.purchases.issueToken(id, user, body ?? {});
  }

  @Post(':id/queue')
  @HttpCode(200)
  @UseGuards(JwtAuthGuard, RequestLimitGuard)
  @RequestLimit('poll')
  @ApiBearerAuth()
  @ApiOperation({ summary: "Join the activity's waiting room (idempotent: the same position on repeat)" })
  joinQueue(@Param('id', ActivityIdPipe) id: number, @CurrentUser() user: Principal): Promise<QueuePlaceView> {
    return this.frontDoor.join(id, user.userId);
  }

  @Get(':id/queue')
  @UseGuards(JwtAuthGuard, RequestLimitGuard)
  @RequestLimit('poll')
  @ApiBearerAuth()
  @ApiOperation({ summary: "The caller's place in the activity's waiting room" })
  queue(@Param('id', ActivityIdPipe) id: number, @CurrentUser() user: Principal): Promise<QueuePlaceView> {
    return this.frontDoor.place(id, user.userId);
  }

  @Get(':id/challenge')
  @UseGuards(JwtAuthGuard, RequestLimitGuard)
  @RequestLimit('token')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'A single-use proof-of-work challenge to solve before asking for the token' })
  challenge(@Param('id', ActivityIdPipe) id: number, @CurrentUser() user: Principal): Promise<ChallengeView> {
    return this.frontDoor.challenge(id, user.userId);
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
  @UseGuards(JwtAuthGuard, RequestLimitGuard)
  @RequestLimit('poll')
  @ApiBearerAuth()
  result(@Param('id', ActivityIdPipe) id: number, @CurrentUser() user: Principal): Promise<ReservationResult> {
    this.degradation.assertResultPoll(user.userId);
    return this.purchases.result(id, user);
  }
}
