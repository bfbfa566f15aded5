import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, JwtAuthGuard, Principal, Roles } from '@seckill/platform';
import { AuditEntryView, AuditService } from './audit/audit.service';
import { AuditQuery, JobParams, PlanNameParam } from './dto/operations.dto';
import { FailedJobsService, JobActionResult } from './jobs/failed-jobs.service';
import { PlanDefinition } from './plans/degradation-plans';
import { PlanOutcome, PlansService, PlanState } from './plans/plans.service';

/** Degradation plans, the audit log and the failed jobs. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Roles('admin')
@Controller('api/admin')
export class OperationsController {
  constructor(
    private readonly plans: PlansService,
    private readonly audit: AuditService,
    private readonly jobs: FailedJobsService,
  ) {}

  @Get('plans')
  @ApiOperation({ summary: 'The degradation plans (levels 1-3) and the one in force' })
  async listPlans(): Promise<{ active: PlanState | null; plans: Array<PlanDefinition & { name: string }> }> {
    return { active: await this.plans.active(), plans: this.plans.definitions() };
  }

  @Post('plans/:name/apply')
  @HttpCode(200)
  applyPlan(@Param() params: PlanNameParam, @CurrentUser() user: Principal): Promise<PlanOutcome> {
    return this.plans.apply(user, params.name);
  }

  @Post('plans/:name/revert')
  @HttpCode(200)
  revertPlan(@Param() params: PlanNameParam, @CurrentUser() user: Principal): Promise<PlanOutcome> {
    return this.plans.revert(user, params.name);
  }

  @Get('audit')
  @ApiOperation({ summary: 'Who changed which switch, plan, activity or job, when, from what to what; newest first' })
  listAudit(@Query() query: AuditQuery): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    return this.audit.list(query.limit ?? 50, query.cursor);
  }

  @Post('queues/:queue/jobs/:id/retry')
  @HttpCode(200)
  retryJob(@Param() params: JobParams, @CurrentUser() user: Principal): Promise<JobActionResult> {
    return this.jobs.retry(user, params.queue, params.id);
  }

  @Post('queues/:queue/jobs/:id/discard')
  @HttpCode(200)
  discardJob(@Param() params: JobParams, @CurrentUser() user: Principal): Promise<JobActionResult> {
    return this.jobs.discard(user, params.queue, params.id);
  }
}
