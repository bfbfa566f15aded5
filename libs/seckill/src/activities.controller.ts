import { Body, Controller, Get, Header, HttpCode, Ip, Param, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActivityViewDto, RemainingView } from '@seckill/activities';
import { ActivityView, ReservationResult } from '@seckill/contracts';
import { ApiErrors, AUTHENTICATED_ERRORS, CurrentUser, JSON_BODY_ERRORS, JwtAuthGuard, Principal } from '@seckill/platform';
import { ACTIVITIES_PATH, PURCHASE_PATH } from './activities.routes';
import { ActivityIdPipe } from './dto/activity-id.pipe';
import { ChallengeView, QueuePlaceView, TokenRequestDto } from './dto/front-door.dto';
import { PurchaseAccepted, PurchaseDto, PurchaseTokenResponse, ReservationResultDto } from './dto/purchase.dto';
import { CatalogQueries } from './catalog.queries';
import { FrontDoorService } from './front-door.service';
import { PurchaseService } from './purchase.service';
import { ApiCachedRead } from './http-caching';
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
  @ApiOkResponse({ type: [ActivityViewDto] })
  @ApiCachedRead()
  @ApiErrors('RATE_LIMITED', 'DEGRADED', 'BUSY')
  list(): Promise<ActivityView[]> {
    return this.catalog.list();
  }

  @Get(':id')
  @UseGuards(RequestLimitGuard)
  @ApiOperation({ summary: 'One activity (404 for an unknown id, answered without MySQL; cacheable for 1 s)' })
  @ApiOkResponse({ type: ActivityViewDto })
  @ApiCachedRead()
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'RATE_LIMITED', 'DEGRADED', 'BUSY')
  get(@Param('id', ActivityIdPipe) id: number): Promise<ActivityView> {
    return this.catalog.view(id);
  }

  @Get(':id/stock')
  @UseGuards(RequestLimitGuard)
  @ApiOperation({ summary: 'The units not reserved yet (cacheable for 1 s)' })
  @ApiOkResponse({ type: RemainingView })
  @ApiCachedRead()
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'RATE_LIMITED', 'DEGRADED', 'BUSY')
  stock(@Param('id', ActivityIdPipe) id: number): Promise<{ remaining: number }> {
    return this.catalog.stock(id);
  }

  @Post(':id/token')
  @HttpCode(200)
  // A purchase token is a credential: no cache, shared or private, may keep it.
  @Header('Cache-Control', 'no-store')
  @UseGuards(JwtAuthGuard, RequestLimitGuard)
  @RequestLimit('token')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'The per-user purchase token, once the activity has started and its front door lets the caller in',
    description: 'The body is empty, or carries the solved challenge when the activity requires a proof-of-work.',
  })
  @ApiOkResponse({ type: PurchaseTokenResponse })
  @ApiErrors(
    ...JSON_BODY_ERRORS,
    ...AUTHENTICATED_ERRORS,
    'CHALLENGE_FAILED',
    'NOT_FOUND',
    'NOT_STARTED',
    'NOT_ADMITTED',
    'FULL',
    'SOLD_OUT',
    'ENDED',
    'RATE_LIMITED',
    'DEGRADED',
    'BUSY',
  )
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
  @ApiOkResponse({ type: QueuePlaceView })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'RATE_LIMITED', 'BUSY')
  joinQueue(@Param('id', ActivityIdPipe) id: number, @CurrentUser() user: Principal): Promise<QueuePlaceView> {
    return this.frontDoor.join(id, user.userId);
  }

  @Get(':id/queue')
  @UseGuards(JwtAuthGuard, RequestLimitGuard)
  @RequestLimit('poll')
  @ApiBearerAuth()
  @ApiOperation({ summary: "The caller's place in the activity's waiting room (404 until the caller joined it)" })
  @ApiOkResponse({ type: QueuePlaceView })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'RATE_LIMITED', 'BUSY')
  queue(@Param('id', ActivityIdPipe) id: number, @CurrentUser() user: Principal): Promise<QueuePlaceView> {
    return this.frontDoor.place(id, user.userId);
  }

  @Get(':id/challenge')
  @UseGuards(JwtAuthGuard, RequestLimitGuard)
  @RequestLimit('token')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'A single-use proof-of-work challenge to solve before asking for the token (404 when none is required)' })
  @ApiOkResponse({ type: ChallengeView })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'ENDED', 'RATE_LIMITED', 'BUSY')
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
  @ApiOperation({
    summary: 'Reserve one unit; the order is created asynchronously',
    description:
      'A 202 is a promise: the reservation becomes an order. Poll GET /api/activities/{id}/result for it. Served by a ' +
      'fast path ahead of Nest that answers exactly as this route (same route constant, checks and errors).',
  })
  @ApiAcceptedResponse({ type: PurchaseAccepted })
  @ApiErrors(
    ...JSON_BODY_ERRORS,
    ...AUTHENTICATED_ERRORS,
    'INVALID_SECKILL_TOKEN',
    'NOT_FOUND',
    'NOT_STARTED',
    'ALREADY_PURCHASED',
    'SOLD_OUT',
    'ENDED',
    'RATE_LIMITED',
    'DEGRADED',
    'BUSY',
  )
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
  @ApiOperation({ summary: "The caller's reservation in the activity and, once created, its order" })
  @ApiOkResponse({ type: ReservationResultDto })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'RATE_LIMITED', 'DEGRADED', 'BUSY')
  result(@Param('id', ActivityIdPipe) id: number, @CurrentUser() user: Principal): Promise<ReservationResult> {
    this.degradation.assertResultPoll(user.userId);
    return this.purchases.result(id, user);
  }
}
