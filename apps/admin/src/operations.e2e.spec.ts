import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UnrecoverableError, Worker, type Queue } from 'bullmq';
import { ActivityView, QUEUES } from '@seckill/contracts';
import { defaultSwitchValues } from '@seckill/flow-control';
import { AutoDegradeScheduler, configureAdmin } from '@seckill/admin';
import { AppConfig, bullConnection, CORE_DB, ORDER_CREATE_QUEUE, PrismaClient, RedisKeys } from '@seckill/platform';
import { call, createTestConfig, createTestDatabases, dropTestResources, mintToken, startTestApp, TestApp, waitFor } from '@seckill/testing';
import { ADMIN_STREAM_PATH, adminRouteCases } from './admin-route-matrix';
import { AppModule } from './app.module';

// The operator's API beyond activities: who may call what, switches and plans across instances and restarts, the
// audit log, the automatic level 1, failed jobs. Jobs fail for real here: a BullMQ worker of the test's own refuses
// those marked to fail (the order service's worker is exercised in sale-operations.e2e.spec.ts).

let config: AppConfig;
let a: TestApp;
let b: TestApp;
let admin: string;
let shopper: string;
let failingWorker: Worker;
const HOUR = 3600_000;

const startAdmin = () => startTestApp('admin', AppModule.register(config), config, configureAdmin);

function window(startOffsetMs: number) {
  const start = Date.now() + startOffsetMs;
  return { startAt: new Date(start).toISOString(), endAt: new Date(start + HOUR).toISOString() };
}

async function failedJob(name: string): Promise<string> {
  const queue = a.app.get<Queue>(ORDER_CREATE_QUEUE);
  const job = await queue.add('create', { activityId: 1, reservations: [], test: name }, { jobId: `test-${name}`, attempts: 1, removeOnFail: false });
  await waitFor(async () => (await job.isFailed()), 10_000, `job ${name} to fail`);
  return String(job.id);
}

before(async () => {
  config = createTestConfig();
  await createTestDatabases(config);
  a = await startAdmin();
  b = await startAdmin();
  const operator = await a.app.get<PrismaClient>(CORE_DB).user.create({ data: { username: 'ops-lead', passwordHash: 'x', role: 'admin' } });
  admin = mintToken(config, String(operator.id), 'admin');
  shopper = mintToken(config, 424242);
  failingWorker = new Worker(
    QUEUES.orderCreate,
    async (): Promise<void> => {
      throw new UnrecoverableError('refused by the test');
    },
    { connection: bullConnection(config), prefix: new RedisKeys(config.REDIS_KEY_PREFIX).bullPrefix },
  );
});

after(async () => {
  await failingWorker?.close();
  await a?.close();
  await b?.close();
  await dropTestResources(config);
});

describe('admin authorization', () => {
  it('answers 401 anonymous and 403 a shopper on every admin route, changing nothing, and serves an admin', async () => {
    const activity = (await call<ActivityView>(`${a.url}/api/admin/activities`, { token: admin, body: { title: 'Authz', priceCents: 100, stock: 3, ...window(HOUR) } })).body;
    const retryJob = await failedJob('authz-retry');
    const discardJob = await failedJob('authz-discard');
    const routes = adminRouteCases({ activityId: activity.id, retryJob, discardJob, ...window(HOUR) });
    const state = async () => ({
      activities: (await call<ActivityView[]>(`${a.url}/api/admin/activities`, { token: admin })).body.map((x) => `${x.id}:${x.title}`),
      switches: (await call(`${a.url}/api/admin/switches`, { token: admin })).body,
      plan: (await call(`${a.url}/api/admin/plans`, { token: admin })).body.active,
      audit: (await call<{ items: unknown[] }>(`${a.url}/api/admin/audit?limit=200`, { token: admin })).body.items.length,
      failed: (await call<{ failed: Array<{ id: string }> }>(`${a.url}/api/admin/queues`, { token: admin })).body.failed.map((j) => j.id).sort(),
    });
    const before = await state();
    for (const route of routes) {
      const anonymous = await call(`${a.url}${route.path}`, { method: route.method, body: route.body });
      assert.equal(anonymous.status, 401, `anonymous ${route.method} ${route.path}`);
      assert.equal(anonymous.body.code, 'UNAUTHENTICATED');
      const refused = await call(`${a.url}${route.path}`, { method: route.method, body: route.body, token: shopper });
      assert.equal(refused.status, 403, `shopper ${route.method} ${route.path}`);
      assert.equal(refused.body.code, 'FORBIDDEN');
    }
    const stream = await fetch(`${a.url}${ADMIN_STREAM_PATH}`);
    assert.equal(stream.status, 401);
    await stream.body?.cancel();
    assert.deepEqual(await state(), before, 'refusals changed nothing');

    for (const route of routes) {
      const answer = await call(`${a.url}${route.path}`, { method: route.method, body: route.body, token: admin });
      assert.equal(answer.status, route.ok, `admin ${route.method} ${route.path}: ${JSON.stringify(answer.body)}`);
    }
    const events = await fetch(`${a.url}/api/admin/stream`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(events.status, 200);
    assert.match(events.headers.get('content-type') ?? '', /text\/event-stream/);
    await events.body?.cancel();
  });

  it('lets the browser in with the session cookie for the stream and the queue board only', async () => {
    const session = await fetch(`${a.url}/api/admin/session`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0];
    assert.match(cookie, /^seckill_admin=/);
    assert.match(session.headers.get('set-cookie') ?? '', /HttpOnly/i);
    assert.match(session.headers.get('set-cookie') ?? '', /SameSite=Strict/i);
    const board = await fetch(`${a.url}/admin/queues`, { headers: { cookie, accept: 'text/html' } });
    assert.equal(board.status, 200);
    assert.match(await board.text(), /<html/i);
    const stream = await fetch(`${a.url}/api/admin/stream`, { headers: { cookie } });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    assert.match(text, /^event: stats\n(id: \d+\n)?data: \{"at"/m);
    // A state change is not taken on the cookie alone (cross-site requests cannot forge one).
    assert.equal((await fetch(`${a.url}/api/admin/plans/level1/apply`, { method: 'POST', headers: { cookie } })).status, 401);
    // Without a session, a person opening the board is sent to the dashboard's sign-in.
    const away = await fetch(`${a.url}/admin/queues`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    assert.equal(away.status, 303);
    assert.match(away.headers.get('location') ?? '', /^\/admin\/#\/signin/);
  });
});

describe('switches and plans', () => {
  it('reach another instance within a second, survive its restart, and are audited with before and after', async () => {
    const set = await call(`${a.url}/api/admin/switches/resultPollSeconds`, { method: 'PUT', token: admin, body: { value: 2 } });
    assert.equal(set.status, 200);
    const seen = Date.now();
    await waitFor(async () => (await call(`${b.url}/api/admin/switches`, { token: admin })).body.resultPollSeconds === 2, 1000, 'the switch on b', 20);
    assert.ok(Date.now() - seen <= 1000);

    const applied = await call<{ active: { name: string }; switches: Record<string, unknown> }>(`${a.url}/api/admin/plans/level2/apply`, { method: 'POST', token: admin });
    assert.equal(applied.status, 200);
    assert.equal(applied.body.active.name, 'level2');
    assert.equal(applied.body.switches.purchaseShedPercent, 50);
    assert.equal(applied.body.switches.registration, false);
    await waitFor(async () => (await call(`${b.url}/api/admin/switches`, { token: admin })).body.purchaseShedPercent === 50, 1000, 'the plan on b', 20);

    await b.close();
    b = await startAdmin();
    const afterRestart = await call<{ active: { name: string } | null }>(`${b.url}/api/admin/plans`, { token: admin });
    assert.equal(afterRestart.body.active?.name, 'level2');
    const switches = (await call(`${b.url}/api/admin/switches`, { token: admin })).body;
    assert.equal(switches.purchaseShedPercent, 50);
    assert.equal(switches.resultPollSeconds, 5, 'level 2 includes level 1');

    // Stepping down to level 1 puts back what level 2 alone had set; reverting puts back the values from before.
    const down = await call<{ switches: Record<string, unknown> }>(`${b.url}/api/admin/plans/level1/apply`, { method: 'POST', token: admin });
    assert.equal(down.body.switches.purchaseShedPercent, 0);
    const reverted = await call<{ active: unknown; switches: Record<string, unknown> }>(`${b.url}/api/admin/plans/level1/revert`, { method: 'POST', token: admin });
    assert.equal(reverted.body.active, null);
    assert.deepEqual(reverted.body.switches, { ...defaultSwitchValues(), resultPollSeconds: 2 });
    await waitFor(async () => (await call(`${a.url}/api/admin/switches`, { token: admin })).body.registration === true, 1000, 'the revert on a', 20);
    const again = await call(`${b.url}/api/admin/plans/level1/revert`, { method: 'POST', token: admin });
    assert.equal(again.status, 200, 'reverting twice is harmless');

    const audit = (await call<{ items: Array<{ actor: string; action: string; target: string; before: unknown; after: unknown }> }>(`${a.url}/api/admin/audit?limit=10`, { token: admin })).body.items;
    const [revert, stepDown, apply, switchSet] = audit;
    assert.deepEqual([revert.action, revert.target], ['plan.revert', 'level1']);
    assert.deepEqual([stepDown.action, stepDown.target], ['plan.apply', 'level1']);
    assert.deepEqual([apply.action, apply.target], ['plan.apply', 'level2']);
    assert.deepEqual([switchSet.action, switchSet.target, switchSet.before, switchSet.after], ['switch.set', 'resultPollSeconds', 0, 2]);
    assert.ok(audit.slice(0, 4).every((entry) => entry.actor === 'ops-lead'));
    assert.equal((apply.after as { switches: Record<string, unknown> }).switches.purchaseShedPercent, 50);
    assert.equal((revert.after as { switches: Record<string, unknown> }).switches.registration, true);

    await call(`${a.url}/api/admin/switches/resultPollSeconds`, { method: 'PUT', token: admin, body: { value: 0 } });
    assert.equal((await call(`${a.url}/api/admin/plans/level9/apply`, { method: 'POST', token: admin })).status, 404);
  });

  it('enters level 1 around a start and leaves it after, once per start, without overruling an operator', async () => {
    const scheduler = a.app.get(AutoDegradeScheduler);
    const create = async (startOffsetMs: number) =>
      (await call<ActivityView>(`${a.url}/api/admin/activities`, { token: admin, body: { title: 'Auto', priceCents: 100, stock: 3, ...window(startOffsetMs) } })).body;
    const plan = async () => (await call<{ active: { name: string; auto: boolean; activityId?: number } | null }>(`${a.url}/api/admin/plans`, { token: admin })).body.active;
    await call(`${a.url}/api/admin/switches/autoDegradeMinutes`, { method: 'PUT', token: admin, body: { value: 5 } });
    const now = Date.now();
    const first = await create(2 * 60_000);
    await scheduler.tick(now);
    assert.deepEqual(await plan().then((p) => p && { name: p.name, auto: p.auto, activityId: p.activityId }), { name: 'level1', auto: true, activityId: first.id });
    assert.equal((await call(`${a.url}/api/admin/switches`, { token: admin })).body.registration, false);

    // The operator takes it out inside the window: the next passes leave it out.
    await call(`${a.url}/api/admin/plans/level1/revert`, { method: 'POST', token: admin });
    await scheduler.tick(now);
    assert.equal(await plan(), null);

    const second = await create(3 * 60_000);
    await scheduler.tick(now);
    assert.equal((await plan())?.activityId, second.id);
    await scheduler.tick(now + 9 * 60_000);
    assert.equal(await plan(), null, 'left once every start is more than 5 minutes past');
    const exit = (await call<{ items: Array<{ actor: string; action: string }> }>(`${a.url}/api/admin/audit?limit=1`, { token: admin })).body.items[0];
    assert.deepEqual([exit.actor, exit.action], ['system', 'plan.revert']);

    // A plan an operator applied is neither replaced on entry nor reverted on exit.
    await call(`${a.url}/api/admin/plans/level2/apply`, { method: 'POST', token: admin });
    await create(4 * 60_000);
    await scheduler.tick(now);
    await scheduler.tick(now + 20 * 60_000);
    assert.deepEqual(await plan().then((p) => p && [p.name, p.auto]), ['level2', false]);
    await call(`${a.url}/api/admin/plans/level2/revert`, { method: 'POST', token: admin });
    await call(`${a.url}/api/admin/switches/autoDegradeMinutes`, { method: 'PUT', token: admin, body: { value: 0 } });
  });
});
