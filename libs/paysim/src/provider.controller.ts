import { Body, CanActivate, Controller, ExecutionContext, Get, HttpCode, Injectable, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ChargeAnswer, LedgerPage, PROVIDER_HEADERS, ProviderFaults, ProviderRequestRecord, RefundAnswer } from '@seckill/contracts';
import { ChargeDto, FaultsDto, LedgerQuery, RefundDto, RequestsQuery } from './dto/provider.dto';
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

/** /provider: the payment provider stand-in's API. */
@ApiTags('provider')
@Controller('provider')
export class ProviderController {
  constructor(private readonly paysim: PaysimService) {}

  @Post('charges')
  @HttpCode(200)
  charge(@Body() body: ChargeDto): Promise<ChargeAnswer> {
    return this.paysim.charge(body);
  }

  @Get('charges')
  ledger(@Query() query: LedgerQuery): Promise<LedgerPage> {
    return this.paysim.ledgerSince(query.since, query.limit ?? 10_000);
  }

  @Post('refunds')
  @HttpCode(200)
  refund(@Body() body: RefundDto): Promise<RefundAnswer> {
    return this.paysim.refund(body);
  }

  @Get('faults')
  @UseGuards(OperatorKeyGuard)
  @ApiHeader({ name: PROVIDER_HEADERS.adminKey, required: true })
  faults(): ProviderFaults {
    return this.paysim.getFaults();
  }

  @Put('faults')
  @UseGuards(OperatorKeyGuard)
  @ApiHeader({ name: PROVIDER_HEADERS.adminKey, required: true })
  setFaults(@Body() body: FaultsDto): ProviderFaults {
    return this.paysim.setFaults(body);
  }

  @Get('requests')
  @UseGuards(OperatorKeyGuard)
  @ApiHeader({ name: PROVIDER_HEADERS.adminKey, required: true })
  requests(@Query() query: RequestsQuery): { items: ProviderRequestRecord[] } {
    return { items: this.paysim.requests(query.since) };
  }
}
