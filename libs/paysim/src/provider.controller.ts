import { Body, CanActivate, Controller, ExecutionContext, Get, HttpCode, Injectable, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, JSON_BODY_ERRORS } from '@seckill/platform';
import type { FastifyRequest } from 'fastify';
import { ChargeAnswer, LedgerPage, PROVIDER_HEADERS, ProviderFaults, ProviderRequestRecord, RefundAnswer } from '@seckill/contracts';
import {
  ChargeAnswerDto,
  ChargeDto,
  FaultsDto,
  LedgerPageDto,
  LedgerQuery,
  ProviderRequestsDto,
  RefundAnswerDto,
  RefundDto,
  RequestsQuery,
} from './dto/provider.dto';
import { PaysimService } from './paysim.service';

/** The operator endpoints need X-Provider-Admin-Key; checked before the body is validated, so a stranger learns nothing. */
@Injectable()
export class OperatorKeyGuard implements CanActivate {
  constructor(private readonly paysim: PaysimService) {}

  canActivate(context: ExecutionContext): boolean {
    this.paysim.assertOperator(context.switchToHttp().getRequest<FastifyRequest>().headers[PROVIDER_HEADERS.adminKey]);
    return true;
  }
}

/** X-Provider-Admin-Key, documented on each operator endpoint. */
const OPERATOR_KEY = ApiHeader({ name: PROVIDER_HEADERS.adminKey, required: true, description: 'PROVIDER_ADMIN_KEY' });

/** /provider: the payment provider stand-in's API. */
@ApiTags('provider')
@Controller('provider')
export class ProviderController {
  constructor(private readonly paysim: PaysimService) {}

  @Post('charges')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Charge once per idempotency key, after the configured latency; then notify the callback URL, signed',
    description: 'A 500 INTERNAL here is a simulated failure (failureRate); 503 BUSY a simulated outage (down).',
  })
  @ApiOkResponse({ type: ChargeAnswerDto })
  @ApiErrors(...JSON_BODY_ERRORS, 'RATE_LIMITED', 'BUSY', 'INTERNAL')
  charge(@Body() body: ChargeDto): Promise<ChargeAnswer> {
    return this.paysim.charge(body);
  }

  @Get('charges')
  @ApiOperation({ summary: 'The ledger: charges made since then, oldest first (for reconciliation)' })
  @ApiOkResponse({ type: LedgerPageDto })
  @ApiErrors('VALIDATION_FAILED', 'BUSY')
  ledger(@Query() query: LedgerQuery): Promise<LedgerPage> {
    return this.paysim.ledgerSince(query.since, query.limit ?? 10_000);
  }

  @Post('refunds')
  @HttpCode(200)
  @ApiOperation({ summary: 'Refund a succeeded charge in full, once per charge' })
  @ApiOkResponse({ type: RefundAnswerDto })
  @ApiErrors(...JSON_BODY_ERRORS, 'NOT_FOUND', 'RATE_LIMITED', 'BUSY', 'INTERNAL')
  refund(@Body() body: RefundDto): Promise<RefundAnswer> {
    return this.paysim.refund(body);
  }

  @Get('faults')
  @UseGuards(OperatorKeyGuard)
  @OPERATOR_KEY
  @ApiOperation({ summary: 'The faults in force' })
  @ApiOkResponse({ type: FaultsDto, description: 'every field, with its value in force' })
  @ApiErrors('UNAUTHENTICATED')
  faults(): ProviderFaults {
    return this.paysim.getFaults();
  }

  @Put('faults')
  @UseGuards(OperatorKeyGuard)
  @OPERATOR_KEY
  @ApiOperation({ summary: 'Change the faults at run time; a field left out is reset to its default ({} heals everything)' })
  @ApiOkResponse({ type: FaultsDto, description: 'every field, with its value now in force' })
  @ApiErrors(...JSON_BODY_ERRORS, 'UNAUTHENTICATED')
  setFaults(@Body() body: FaultsDto): ProviderFaults {
    return this.paysim.setFaults(body);
  }

  @Get('requests')
  @UseGuards(OperatorKeyGuard)
  @OPERATOR_KEY
  @ApiOperation({ summary: 'The requests the provider received since then (for tests and drills)' })
  @ApiOkResponse({ type: ProviderRequestsDto })
  @ApiErrors('UNAUTHENTICATED', 'VALIDATION_FAILED')
  requests(@Query() query: RequestsQuery): { items: ProviderRequestRecord[] } {
    return { items: this.paysim.requests(query.since) };
  }
}
