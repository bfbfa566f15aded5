import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ActivityView } from '@seckill/contracts';
import { SWITCHES, SwitchValues } from '@seckill/flow-control';
import { CurrentUser, JwtAuthGuard, Principal, Roles } from '@seckill/platform';
import { OrderView } from '@seckill/order-store';
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
  create(@Body() body: CreateActivityDto, @CurrentUser() user: Principal): Promise<ActivityView> {
    return this.activities.create(body, user);
  }

  @Get('activities')
  list(): Promise<ActivityView[]> {
    return this.activities.list();
  }

  @Get('activities/:id')
  get(@Param() params: ActivityIdParam): Promise<ActivityView> {
    return this.activities.get(params.id);
  }

  @Patch('activities/:id')
  update(@Param() params: ActivityIdParam, @Body() body: UpdateActivityDto, @CurrentUser() user: Principal): Promise<ActivityView> {
    return this.activities.update(params.id, body, user);
  }

  @Post('activities/:id/prewarm')
  @HttpCode(200)
  prewarm(@Param() params: ActivityIdParam, @CurrentUser() user: Principal): Promise<{ remaining: number }> {
    return this.activities.prewarm(params.id, user);
  }

  @Get('switches')
  allSwitches(): Readonly<SwitchValues> {
    return this.switches.values();
  }

  @Get('switches/definitions')
  switchDefinitions(): typeof SWITCHES {
    return this.switches.definitions();
  }

  @Put('switches/:name')
  setSwitch(@Param() params: SwitchNameParam, @Body() body: SwitchValueDto, @CurrentUser() user: Principal): Promise<Readonly<SwitchValues>> {
    return this.switches.set(user, params.name, body.value);
  }

  @Get('reconciliation')
  reconcile(@Query() query: ReconciliationQuery): Promise<Reconciliation> {
    return this.reconciliation.reconcile(query.activityId);
  }

  @Get('orders')
  listOrders(@Query() query: AdminOrdersQuery): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    return this.orders.list(query.limit ?? 50, query.cursor, query.activityId);
  }

  @Get('queues')
  queues(): Promise<{ depths: Record<string, Record<string, number>>; failed: FailedJobView[] }> {
    return this.orders.queues();
  }
}
