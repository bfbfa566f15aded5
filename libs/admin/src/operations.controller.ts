import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ADMIN_ERRORS, ApiErrors, CurrentUser, JwtAuthGuard, Principal, Roles } from '@seckill/platform';
import { AuditPageDto, JobActionDto, PlanOutcomeDto, PlansDto } from './dto/admin-views.dto';
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
  @ApiOkResponse({ type: PlansDto })
  @ApiErrors(...ADMIN_ERRORS, 'BUSY')
  async listPlans(): Promise<{ active: PlanState | null; plans: Array<PlanDefinition & { name: string }> }> {
    return { active: await this.plans.active(), plans: this.plans.definitions() };
  }

  @Post('plans/:name/apply')
  @HttpCode(200)
  @ApiOperation({ summary: 'Apply a plan (it replaces the one in force); the values it replaces are kept for the revert' })
  @ApiOkResponse({ type: PlanOutcomeDto })
  @ApiErrors(...ADMIN_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'BUSY')
  applyPlan(@Param() params: PlanNameParam, @CurrentUser() user: Principal): Promise<PlanOutcome> {
    return this.plans.apply(user, params.name);
  }

  @Post('plans/:name/revert')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revert the plan in force, putting back the switch values from before it' })
  @ApiOkResponse({ type: PlanOutcomeDto })
  @ApiErrors(...ADMIN_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'BUSY')
  revertPlan(@Param() params: PlanNameParam, @CurrentUser() user: Principal): Promise<PlanOutcome> {
    return this.plans.revert(user, params.name);
  }

  @Get('audit')
  @ApiOperation({ summary: 'Who changed which switch, plan, activity or job, when, from what to what; newest first' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiErrors(...ADMIN_ERRORS, 'VALIDATION_FAILED', 'BUSY')
  listAudit(@Query() query: AuditQuery): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    return this.audit.list(query.limit ?? 50, query.cursor);
  }

  @Post('queues/:queue/jobs/:id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Put a job that failed for good back in line with fresh attempts' })
  @ApiOkResponse({ type: JobActionDto })
  @ApiErrors(...ADMIN_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'BUSY')
  retryJob(@Param() params: JobParams, @CurrentUser() user: Principal): Promise<JobActionResult> {
    return this.jobs.retry(user, params.queue, params.id);
  }

  @Post('queues/:queue/jobs/:id/discard')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give up on a job that failed for good (an order-create job returns its units without an order to stock)' })
  @ApiOkResponse({ type: JobActionDto })
  @ApiErrors(...ADMIN_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'BUSY')
  discardJob(@Param() params: JobParams, @CurrentUser() user: Principal): Promise<JobActionResult> {
    return this.jobs.discard(user, params.queue, params.id);
  }
}
