import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ActivityView } from '@seckill/contracts';
import { SwitchesService } from '@seckill/flow-control';
import { JwtAuthGuard, Roles } from '@seckill/platform';
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
import { OrderView } from '@seckill/order-store';

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Roles('admin')
@Controller('api/admin')
export class AdminController {
  constructor(
    private readonly activities: AdminActivitiesService,
    private readonly switches: SwitchesService,
    private readonly reconciliation: ReconciliationService,
    private readonly orders: AdminOrdersService,
  ) {}

  @Post('activities')
  create(@Body() body: CreateActivityDto): Promise<ActivityView> {
    return this.activities.create(body);
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
  update(@Param() params: ActivityIdParam, @Body() body: UpdateActivityDto): Promise<ActivityView> {
    return this.activities.update(params.id, body);
  }

  @Post('activities/:id/prewarm')
  @HttpCode(200)
  prewarm(@Param() params: ActivityIdParam): Promise<{ remaining: number }> {
    return this.activities.prewarm(params.id);
  }

  @Get('switches')
  allSwitches(): Readonly<Record<string, boolean | number | string>> {
    return this.switches.all();
  }

  @Put('switches/:name')
  setSwitch(@Param() params: SwitchNameParam, @Body() body: SwitchValueDto): Promise<Readonly<Record<string, boolean | number | string>>> {
    return this.switches.set(params.name, body.value);
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
