import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer, Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActivityView, SERVICES, ServiceName } from '@seckill/contracts';
import { AppConfig, servicePort } from '@seckill/platform';
import { call, configToEnv, createTestConfig, dropTestResources, freePort, mintToken, waitFor } from '@seckill/testing';

// `npm start` as a person uses it: dist/tools/start.js run as `npm start` runs it, on free ports with this file's
// own databases and Redis prefix. It refuses busy ports, prints a banner naming a demo activity on sale or about to
// be, leaves no service behind when it or npm is killed, finds its demo again on the next start, makes a new one
// when the old one is no use any more, and says goodbye.

const names = Object.keys(SERVICES) as ServiceName[];
let config: AppConfig;
let firstDemoId: number | undefined;

interface Run {
  process: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

/**
 * Runs dist/tools/start.js, directly or (underNpm) as the child of a stand-in for npm, a process that does nothing
 * but wait, so that the test can kill the parent alone.
 */
function runStart(underNpm = false): Run {
  const start = join(__dirname, 'start.js');
  const npmStandIn = `require('node:child_process').spawn(process.execPath, [${JSON.stringify(start)}], { stdio: 'inherit' }); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, underNpm ? ['-e', npmStandIn] : [start], {
    // LOG_LEVEL=warn: this test reads the supervisor's own lines, not the services' access log.
    env: { ...process.env, ...configToEnv(config), LOG_LEVEL: 'warn', SEED_DEMO: 'true', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exit };
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function untilReady(run: Run): Promise<number> {
  await waitFor(async () => run.output().includes('Ctrl-C stops everything') || run.process.exitCode !== null, 120_000, 'the banner');
  assert.equal(run.process.exitCode, null, run.output());
  const demo = /DEMO=(\d+)/.exec(run.output());
  assert.ok(demo, `the banner names the demo activity:\n${run.output()}`);
  return Number(demo[1]);
}

describe('npm start', () => {
  before(async () => {
    const ports: Record<string, string> = {};
    for (const name of names) ports[`${name.toUpperCase()}_PORT`] = String(await freePort());
    config = createTestConfig(ports);
  });

  after(async () => {
    // Whatever a failed assertion left running on this test's ports.
    await dropTestResources(config);
  });

  it('refuses to start over a busy port, naming it, and starts nothing', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(config.ORDER_PORT, '127.0.0.1', resolve));
    try {
      const run = runStart();
      assert.equal(await run.exit, 1);
      assert.match(run.output(), new RegExp(`port ${config.ORDER_PORT} \\(order\\) is already in use`));
      for (const name of names.filter((name) => name !== 'order')) {
        assert.equal(await portOpen(servicePort(name, config)), false, `${name} was not started`);
      }
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('starts the six services with a demo on sale or about to be, and none outlives a SIGKILL of the supervisor', async () => {
    const run = runStart();
    const demoId = await untilReady(run);
    firstDemoId = demoId;
    const demo = await call<ActivityView>(`http://127.0.0.1:${config.SECKILL_PORT}/api/activities/${demoId}`);
    assert.equal(demo.status, 200);
    assert.ok(['UPCOMING', 'ACTIVE'].includes(demo.body.status), demo.body.status);
    assert.ok(Date.parse(demo.body.startAt) - Date.now() <= 60_000, 'opens within a minute');
    for (const name of names) assert.equal(await portOpen(servicePort(name, config)), true, `${name} listens`);

    run.process.kill('SIGKILL');
    await run.exit;
    await waitFor(
      async () => (await Promise.all(names.map((name) => portOpen(servicePort(name, config))))).every((open) => !open),
      30_000,
      'every service to stop after its supervisor was killed',
    );
  });

  it('finds the same demo on the next start over the same databases; stops everything when npm is killed', async () => {
    const npm = runStart(true);
    const demoId = await untilReady(npm);
    assert.equal(demoId, firstDemoId);
    assert.doesNotMatch(npm.output(), /made now/, 'reused');
    // The next day, as far as npm start can tell: the demo now opens in two hours.
    const later = Date.now() + 2 * 3600_000;
    const moved = await call(`http://127.0.0.1:${config.ADMIN_PORT}/api/admin/activities/${demoId}`, {
      method: 'PATCH',
      token: mintToken(config, 1, 'admin'),
      body: { startAt: new Date(later).toISOString(), endAt: new Date(later + 3600_000).toISOString() },
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    npm.process.kill('SIGKILL');
    await waitFor(
      async () => (await Promise.all(names.map((name) => portOpen(servicePort(name, config))))).every((open) => !open),
      30_000,
      'every service to stop after npm was killed',
    );
  });

  it('makes a new demo when none is on sale or about to be, says what it stops on SIGTERM, and exits 0', async () => {
    const run = runStart();
    const demoId = await untilReady(run);
    assert.notEqual(demoId, firstDemoId);
    assert.match(run.output(), new RegExp(`activity ${demoId}: .*\\(made now: none was on sale or about to be\\)`));
    const demo = await call<ActivityView>(`http://127.0.0.1:${config.SECKILL_PORT}/api/activities/${demoId}`);
    assert.equal(demo.body.status, 'UPCOMING');
    run.process.kill('SIGTERM');
    assert.equal(await run.exit, 0);
    assert.match(run.output(), /start: stopping .*\n/);
    assert.match(run.output(), /start: all services stopped\. Bye\./);
    for (const name of names) assert.equal(await portOpen(servicePort(name, config)), false, `${name} stopped`);
  });
});
