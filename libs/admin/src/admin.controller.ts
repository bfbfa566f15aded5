import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActivityViewDto, RemainingView } from '@seckill/activities';
import { ActivityView } from '@seckill/contracts';
import { SWITCHES, SwitchValues } from '@seckill/flow-control';
import { ADMIN_ERRORS, ApiErrors, CurrentUser, JSON_BODY_ERRORS, JwtAuthGuard, Principal, Roles } from '@seckill/platform';
import { OrderPageDto, OrderView } from '@seckill/order-store';
import { AdminActivitiesService } from './admin-activities.service';
import { AdminOrdersService, FailedJobView } from './admin-orders.service';
import {
  ActivityIdParam,
  AdminOrdersQuery,
  CreateActivityDto,
  ReconciliationQuery,
  SwitchNameParam,
  SwitchValueDto,
  UpdateActivityDto,
} from './dto/activity.dto';
import { QueuesDto, ReconciliationDto, SwitchDefinitionsSchema, SwitchValuesSchema } from './dto/admin-views.dto';
import { Reconciliation, ReconciliationService } from './reconciliation.service';
import { AdminSwitchesService } from './switches/admin-switches.service';

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Roles('admin')
@Controller('api/admin')
export class AdminController {
  constructor(
    private readonly activities: AdminActivitiesService,
    private readonly switches: AdminSwitchesService,
    private readonly reconciliation: ReconciliationService,
    private readonly orders: AdminOrdersService,
  ) {}

  @Post('activities')
  @ApiOperation({ summary: 'Create an activity (the demo and every sale start here)' })
  @ApiCreatedResponse({ type: ActivityViewDto })
  @ApiErrors(...JSON_BODY_ERRORS, ...ADMIN_ERRORS, 'BUSY')
  create(@Body() body: CreateActivityDto, @CurrentUser() user: Principal): Promise<ActivityView> {
    return this.activities.create(body, user);
  }

  @Get('activities')
  @ApiOperation({ summary: 'Every activity' })
  @ApiOkResponse({ type: [ActivityViewDto] })
  @ApiErrors(...ADMIN_ERRORS, 'BUSY')
  list(): Promise<ActivityView[]> {
    return this.activities.list();
  }

  @Get('activities/:id')
  @ApiOperation({ summary: 'One activity' })
  @ApiOkResponse({ type: ActivityViewDto })
  @ApiErrors(...ADMIN_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'BUSY')
  get(@Param() params: ActivityIdParam): Promise<ActivityView> {
    return this.activities.get(params.id);
  }

  @Patch('activities/:id')
  @ApiOperation({ summary: 'Edit an activity: stock and times only before its start (409 ALREADY_STARTED after); the front door also during it' })
  @ApiOkResponse({ type: ActivityViewDto })
  @ApiErrors(...JSON_BODY_ERRORS, ...ADMIN_ERRORS, 'NOT_FOUND', 'ALREADY_STARTED', 'BUSY')
  update(@Param() params: ActivityIdParam, @Body() body: UpdateActivityDto, @CurrentUser() user: Principal): Promise<ActivityView> {
    return this.activities.update(params.id, body, user);
  }

  @Post('activities/:id/prewarm')
  @ApiOperation({ summary: 'Load the stock into Redis now (idempotent; also done automatically ahead of the start)' })
  @ApiOkResponse({ type: RemainingView })
  @ApiErrors(...ADMIN_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'BUSY')
  @HttpCode(200)
  prewarm(@Param() params: ActivityIdParam, @CurrentUser() user: Principal): Promise<{ remaining: number }> {
    return this.activities.prewarm(params.id, user);
  }

  @Get('switches')
  @ApiOperation({ summary: 'The switch values in force' })
  @ApiOkResponse({ schema: SwitchValuesSchema })
  @ApiErrors(...ADMIN_ERRORS, 'BUSY')
  allSwitches(): Readonly<SwitchValues> {
    return this.switches.values();
  }

  @Get('switches/definitions')
  @ApiOperation({ summary: "Each switch's type, range or values, default and description" })
  @ApiOkResponse({ schema: SwitchDefinitionsSchema })
  @ApiErrors(...ADMIN_ERRORS)
  switchDefinitions(): typeof SWITCHES {
    return this.switches.definitions();
  }

  @Put('switches/:name')
  @ApiOperation({ summary: 'Set one switch; every instance applies it within a second' })
  @ApiOkResponse({ schema: SwitchValuesSchema })
  @ApiErrors(...JSON_BODY_ERRORS, ...ADMIN_ERRORS, 'NOT_FOUND', 'BUSY')
  setSwitch(@Param() params: SwitchNameParam, @Body() body: SwitchValueDto, @CurrentUser() user: Principal): Promise<Readonly<SwitchValues>> {
    return this.switches.set(user, params.name, body.value);
  }

  @Get('reconciliation')
  @ApiOperation({ summary: "Redis, MySQL and the provider's ledger held against each other for one activity" })
  @ApiOkResponse({ type: ReconciliationDto })
  @ApiErrors(...ADMIN_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'BUSY')
  reconcile(@Query() query: ReconciliationQuery): Promise<Reconciliation> {
    return this.reconciliation.reconcile(query.activityId);
  }

  @Get('orders')
  @ApiOperation({ summary: 'Every order, newest first, merged across shards' })
  @ApiOkResponse({ type: OrderPageDto })
  @ApiErrors(...ADMIN_ERRORS, 'VALIDATION_FAILED', 'BUSY')
  listOrders(@Query() query: AdminOrdersQuery): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    return this.orders.list(query.limit ?? 50, query.cursor, query.activityId);
  }

  @Get('queues')
  @ApiOperation({ summary: 'Queue depths and the jobs that failed for good, with their reasons' })
  @ApiOkResponse({ type: QueuesDto })
  @ApiErrors(...ADMIN_ERRORS, 'BUSY')
  queues(): Promise<{ depths: Record<string, Record<string, number>>; failed: FailedJobView[] }> {
    return this.orders.queues();
  }
}
