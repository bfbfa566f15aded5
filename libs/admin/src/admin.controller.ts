import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ActivityView } from '@seckill/contracts';
import { SwitchesService } from '@seckill/flow-control';
import { JwtAuthGuard, Roles } from '@seckill/platform';
import { AdminActivitiesService } from './admin-activities.service';
import { ActivityIdParam, CreateActivityDto, SwitchNameParam, SwitchValueDto, UpdateActivityDto } from './dto/activity.dto';

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Roles('admin')
@Controller('api/admin')
export class AdminController {
  constructor(
    private readonly activities: AdminActivitiesService,
    private readonly switches: SwitchesService,
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
  allSwitches(): Readonly<Record<string, boolean | number>> {
    return this.switches.all();
  }

  @Put('switches/:name')
  setSwitch(@Param() params: SwitchNameParam, @Body() body: SwitchValueDto): Promise<Readonly<Record<string, boolean | number>>> {
    return this.switches.set(params.name, body.value);
  }
}
