import assert from 'node:assert/strict';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ChargeAnswer, LedgerPage, PROVIDER_HEADERS, ProviderEvent, ProviderFaults } from '@seckill/contracts';
import { verifyWebhook } from '@seckill/payment-store';
import { configurePaysim } from '@seckill/paysim';
import { AppConfig } from '@seckill/platform';
import { call, createTestConfig, startTestApp, TestApp, waitFor } from '@seckill/testing';
import { AppModule } from './app.module';

// paysim against a real callback receiver: idempotent charges, the ledger, refunds, the operator key, the inbound
// rate cap, and notifications that are signed, retried until acknowledged, duplicated and reordered on demand.

interface Received {
  event: ProviderEvent;
  validSignature: boolean;
}

let config: AppConfig;
let app: TestApp;
let receiver: Server;
const received: Received[] = [];
/** The receiver answers 500 to this many deliveries before it acknowledges. */
let refuseNext = 0;
let attempts = 0;

const ADMIN_KEY = 'a-test-provider-admin-key';

function body(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

const faults = (value: Partial<ProviderFaults>, key = ADMIN_KEY) =>
  call<ProviderFaults>(`${app.url}/provider/faults`, { method: 'PUT', body: value, headers: { [PROVIDER_HEADERS.adminKey]: key } });
const charge = (merchantRef: string, amountCents = 500, idempotencyKey = `key-${merchantRef}`) =>
  call<ChargeAnswer & { code?: string }>(`${app.url}/provider/charges`, { body: { merchantRef, amountCents, idempotencyKey } });

before(async () => {
  receiver = createServer((request, response) => {
    void body(request).then((raw) => {
      attempts++;
      if (refuseNext > 0) {
        refuseNext--;
        response.writeHead(500).end();
        return;
      }
      const validSignature = verifyWebhook(config.PAYMENT_WEBHOOK_SECRET, raw, request.headers[PROVIDER_HEADERS.signature]);
      received.push({ event: JSON.parse(raw.toString()) as ProviderEvent, validSignature });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  config = createTestConfig({
    PAYSIM_CALLBACK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callback`,
    PROVIDER_ADMIN_KEY: ADMIN_KEY,
    PAYSIM_RATE_LIMIT_PER_SECOND: '1',
    PAYSIM_RATE_LIMIT_BURST: '50',
  });
  app = await startTestApp('paysim', AppModule.register(config), config, (nest) => configurePaysim(nest));
});

after(async () => {
  await app?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

beforeEach(async () => {
  await faults({});
  received.length = 0;
  refuseNext = 0;
  attempts = 0;
});

describe('paysim', () => {
  it('charges once per idempotency key, notifies with a valid signature, and keeps a ledger', async () => {
    const since = new Date().toISOString();
    const first = await charge('p-1', 700);
    assert.equal(first.status, 200);
    assert.equal(first.body.status, 'SUCCEEDED');
    assert.match(first.body.chargeId, /^ch_/);
    const replay = await charge('p-1', 700);
    assert.deepEqual(replay.body, first.body, 'the same key gets the same charge');
    const conflict = await charge('p-1', 701);
    assert.equal(conflict.status, 400, 'the same key for another amount is refused');

    await waitFor(async () => received.length === 1, 5000, 'the notification');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(received.length, 1, 'one charge, one notification');
    assert.equal(received[0].validSignature, true);
    assert.equal(received[0].event.type, 'charge.succeeded');
    assert.equal(received[0].event.chargeId, first.body.chargeId);
    assert.equal(received[0].event.merchantRef, 'p-1');
    assert.equal(received[0].event.amountCents, 700);

    const ledger = await call<LedgerPage>(`${app.url}/provider/charges?since=${since}`);
    assert.equal(ledger.status, 200);
    assert.deepEqual(ledger.body.items.map((entry) => [entry.merchantRef, entry.amountCents, entry.status]), [['p-1', 700, 'SUCCEEDED']]);
    const later = await call<LedgerPage>(`${app.url}/provider/charges?since=${new Date(Date.now() + 60_000).toISOString()}`);
    assert.deepEqual(later.body.items, []);
    assert.equal((await call(`${app.url}/provider/charges?since=yesterday`)).status, 400);
  });

  it('refunds a charge once and notifies it; refuses unknown and declined charges', async () => {
    const paid = await charge('p-2', 900);
    const refund = (chargeId: string, idempotencyKey: string) =>
      call<{ refundId: string; code?: string }>(`${app.url}/provider/refunds`, { body: { chargeId, idempotencyKey } });
    const first = await refund(paid.body.chargeId, 'refund-p-2');
    assert.equal(first.status, 200);
    assert.match(first.body.refundId, /^re_/);
    assert.equal((await refund(paid.body.chargeId, 'refund-p-2')).body.refundId, first.body.refundId);
    assert.equal((await refund(paid.body.chargeId, 'another-key')).body.refundId, first.body.refundId, 'refunded once');
    assert.equal((await refund('ch_nope', 'k')).status, 404);
    await waitFor(async () => received.some((r) => r.event.type === 'charge.refunded'), 5000, 'the refund notification');
    const ledger = await call<LedgerPage>(`${app.url}/provider/charges`);
    const entry = ledger.body.items.find((item) => item.chargeId === paid.body.chargeId);
    assert.equal(entry?.status, 'REFUNDED');
    assert.equal(entry?.refundId, first.body.refundId);

    await faults({ declineRate: 1 });
    const declined = await charge('p-3');
    assert.equal(declined.status, 200);
    assert.equal(declined.body.status, 'DECLINED');
    assert.equal((await refund(declined.body.chargeId, 'refund-p-3')).status, 400);
  });

  it('changes its behaviour only for the operator key', async () => {
    const none = await call(`${app.url}/provider/faults`, { method: 'PUT', body: { down: true } });
    assert.equal(none.status, 401);
    assert.equal((await faults({ down: true }, 'wrong-key-wrong-key')).status, 401);
    assert.equal((await charge('p-4')).status, 200, 'nothing changed');
    const bad = await faults({ failureRate: 2 });
    assert.equal(bad.status, 400);
    const set = await faults({ latencyMs: 10, failureRate: 0.5 });
    assert.equal(set.status, 200);
    assert.equal(set.body.latencyMs, 10);
    assert.equal(set.body.down, false, 'a PUT replaces: what is left out is reset');
  });

  it('answers 503 to everything while down and 500 at the failure rate, after the latency', async () => {
    await faults({ down: true });
    const down = await charge('p-5');
    assert.equal(down.status, 503);
    assert.ok(down.headers.get('retry-after'));
    assert.equal((await call(`${app.url}/provider/charges`)).status, 503);
    await faults({ failureRate: 1, latencyMs: 300 });
    const started = Date.now();
    const failed = await charge('p-6');
    assert.equal(failed.status, 500);
    assert.ok(Date.now() - started >= 290, 'failures are late too');
    await faults({});
    assert.equal((await charge('p-6')).body.status, 'SUCCEEDED', 'a failed charge was not made: the key is still free');
    // Its notification is sent after the answer: wait for it, so it does not land in the next test's count.
    await waitFor(async () => received.some((r) => r.event.merchantRef === 'p-6'), 5000, 'the notification of p-6');
  });

  it('retries a notification with backoff until it is acknowledged', async () => {
    refuseNext = 3;
    await charge('p-7');
    await waitFor(async () => received.length === 1, 10_000, 'the notification after three refusals');
    assert.equal(attempts, 4);
    assert.equal(received[0].event.merchantRef, 'p-7');
  });

  it('duplicates and reorders notifications when told to', async () => {
    await faults({ duplicateRate: 1 });
    await charge('p-8');
    await waitFor(async () => received.length === 2, 5000, 'two copies');
    assert.equal(received[0].event.eventId, received[1].event.eventId, 'the same notification twice');

    received.length = 0;
    await faults({ reorderWindowMs: 400 });
    for (const ref of ['r-1', 'r-2', 'r-3']) await charge(ref);
    await waitFor(async () => received.length === 3, 5000, 'three notifications');
    assert.deepEqual(received.map((r) => r.event.merchantRef), ['r-3', 'r-2', 'r-1'], 'newest first');
  });

  it('answers 429 past its inbound rate cap and records every request it received', async () => {
    const since = Date.now();
    const answers = await Promise.all(Array.from({ length: 230 }, (_, i) => charge(`cap-${i}`)));
    const elapsedSeconds = (Date.now() - since) / 1000;
    const limited = answers.filter((answer) => answer.status === 429);
    const charged = answers.filter((answer) => answer.status === 200);
    // The bucket (1/s, capacity 50) lets at most its capacity plus a token a second through.
    assert.ok(charged.length <= 50 + Math.ceil(elapsedSeconds), `${charged.length} charged in ${elapsedSeconds} s`);
    assert.equal(charged.length + limited.length, 230);
    assert.ok(limited.every((answer) => answer.body.code === 'RATE_LIMITED' && answer.headers.get('retry-after')));
    const log = await call<{ items: Array<{ path: string }> }>(`${app.url}/provider/requests?since=${since}`, {
      headers: { [PROVIDER_HEADERS.adminKey]: ADMIN_KEY },
    });
    assert.equal(log.body.items.filter((entry) => entry.path === '/provider/charges').length, 230);
    assert.equal((await call(`${app.url}/provider/requests`)).status, 401);
  });
});
