import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PROVIDER_HEADERS } from '@seckill/contracts';
import { PaymentView } from '@seckill/payment-store';
import {
  ApiErrors,
  AUTHENTICATED_ERRORS,
  CurrentUser,
  IDEMPOTENCY_KEY_HEADER,
  JSON_BODY_ERRORS,
  JwtAuthGuard,
  KEEP_RAW_BODY,
  Principal,
  RawBodyRequest,
} from '@seckill/platform';
import { CallbackService } from './callback.service';
import { CallbackAnswerDto, CreatePaymentDto, PaymentDto, PaymentIdParams, ProviderEventDto } from './dto/payments.dto';
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
  @ApiOperation({
    summary: 'Pay an order awaiting payment; the amount is the order\'s',
    description: 'A second attempt while one is PENDING or SUCCEEDED, or the same Idempotency-Key again, returns the same payment with 200.',
  })
  @ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    description: 'the same key returns the same payment; 1-100 of [A-Za-z0-9_.:-]',
    example: 'pay-7394883617283457025',
  })
  @ApiCreatedResponse({ type: PaymentDto, description: 'the payment, created' })
  @ApiOkResponse({ type: PaymentDto, description: 'the same payment, for a replay' })
  @ApiErrors(...JSON_BODY_ERRORS, ...AUTHENTICATED_ERRORS, 'NOT_FOUND', 'ORDER_NOT_PAYABLE', 'PAYMENT_UNAVAILABLE', 'BUSY')
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
  @ApiOperation({
    summary: "The provider's notification of a charge or refund (called by the provider, not by clients)",
    description:
      'Signed with HMAC-SHA256 of the raw body under PAYMENT_WEBHOOK_SECRET, hex in X-Signature; the body is looked at only once the ' +
      'signature holds. The same notification twice has the effect of once. 503 PAYMENT_UNAVAILABLE asks the provider to deliver again.',
  })
  @ApiHeader({ name: 'X-Signature', required: true, description: 'HMAC-SHA256 of the raw body, hex', example: '5d41402abc4b2a76b9719d911017c592…' })
  @ApiBody({ type: ProviderEventDto })
  @ApiOkResponse({ type: CallbackAnswerDto })
  @ApiErrors(...JSON_BODY_ERRORS, 'UNAUTHENTICATED', 'NOT_FOUND', 'PAYMENT_UNAVAILABLE', 'BUSY')
  callback(@Req() request: RawBodyRequest): Promise<{ received: true; status: string }> {
    return this.callbacks.handle(request.rawBody, request.headers[PROVIDER_HEADERS.signature]);
  }

  @Get(':id')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: "One of the caller's payments (another shopper's is 404)" })
  @ApiOkResponse({ type: PaymentDto })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'BUSY')
  get(@CurrentUser() user: Principal, @Param() params: PaymentIdParams): Promise<PaymentView> {
    return this.payments.get(user, params.id);
  }
}
