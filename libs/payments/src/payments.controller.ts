import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBearerAuth, ApiCreatedResponse, ApiExcludeEndpoint, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PROVIDER_HEADERS } from '@seckill/contracts';
import { PaymentView } from '@seckill/payment-store';
import { CurrentUser, JwtAuthGuard, KEEP_RAW_BODY, Principal, RawBodyRequest } from '@seckill/platform';
import { CallbackService } from './callback.service';
import { CreatePaymentDto, PaymentDto, PaymentIdParams } from './dto/payments.dto';
import { PaymentsService } from './payments.service';

/** /api/payments: pay an order, read a payment, and the provider's notifications. */
@ApiTags('payments')
@Controller('api/payments')
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly callbacks: CallbackService,
  ) {}

  @Post()
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'the same key returns the same payment' })
  @ApiCreatedResponse({ type: PaymentDto, description: '201 when created, 200 for a replay' })
  async pay(
    @CurrentUser() user: Principal,
    @Body() body: CreatePaymentDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PaymentView> {
    const result = await this.payments.pay(user, body.orderId, key);
    void reply.status(result.created ? 201 : 200);
    return result.payment;
  }

  /** The provider's signed notification; declared before :id so that "callback" is never taken for an id. */
  @Post('callback')
  @HttpCode(200)
  @RouteConfig(KEEP_RAW_BODY)
  @ApiExcludeEndpoint()
  callback(@Req() request: RawBodyRequest): Promise<{ received: true; status: string }> {
    return this.callbacks.handle(request.rawBody, request.headers[PROVIDER_HEADERS.signature]);
  }

  @Get(':id')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOkResponse({ type: PaymentDto })
  get(@CurrentUser() user: Principal, @Param() params: PaymentIdParams): Promise<PaymentView> {
    return this.payments.get(user, params.id);
  }
}
