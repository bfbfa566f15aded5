import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SERVICES, ServiceName } from '@seckill/contracts';
import { AppConfig, poolConfigFromUrl } from '@seckill/platform';
import * as mariadb from 'mariadb';
import { configToEnv, createTestConfig, dropTestResources, freePort, waitFor } from '@seckill/testing';

// `npm run loadtest -- flash` against a stack started as `npm start` starts it (dist/tools/start.js, on free ports,
// with this file's own databases and Redis prefix): a small sale of 50 units to 300 shoppers must end with every
// invariant checked and holding, and the Markdown, JSON and SVG reports written.

const names = Object.keys(SERVICES) as ServiceName[];
let config: AppConfig;
let env: NodeJS.ProcessEnv;
let stack: ChildProcess | undefined;
let stackOutput = '';
let reports: string;

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('npm run loadtest', () => {
  before(async () => {
    const overrides: Record<string, string> = {
      // The load generator's address is exempt from per-IP limits, as loadtest/README.md tells an operator to set.
      RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1',
      // Six services on three databases each: small pools, so a busy shared MariaDB has connections to spare.
      DATABASE_POOL_SIZE: '3',
    };
    for (const name of names) overrides[`${name.toUpperCase()}_PORT`] = String(await freePort());
    config = createTestConfig(overrides);
    env = { ...process.env, ...configToEnv(config), LOG_LEVEL: 'warn', SEED_DEMO: 'false', NO_COLOR: '1', CI: '1' };
    reports = mkdtempSync(join(tmpdir(), 'seckill-loadtest-'));
    stack = spawn(process.execPath, [join(__dirname, 'start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    stack.stdout?.on('data', (chunk: Buffer) => (stackOutput += chunk.toString('utf8')));
    stack.stderr?.on('data', (chunk: Buffer) => (stackOutput += chunk.toString('utf8')));
    await waitFor(async () => stackOutput.includes('Ctrl-C stops everything') || stack?.exitCode !== null, 120_000, 'npm start to be ready');
    assert.equal(stack.exitCode, null, stackOutput);
  });

  after(async () => {
    if (stack) {
      stack.kill('SIGTERM');
      await exited(stack);
    }
    rmSync(reports, { recursive: true, force: true });
    await dropTestResources(config);
  });

  /** `npm run loadtest -- <scenario>` for 300 shoppers and 50 units against the stack: its exit code and output. */
  async function runLoadtest(scenario: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const run = spawn(
      process.execPath,
      [join(__dirname, '../loadtest/loadtest.js'), scenario, '--shoppers', '300', '--stock', '50', '--connections', '50', '--reports', reports],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    run.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    run.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    return { code: await exited(run), stdout, stderr };
  }

  it('sells 50 units to 300 shoppers, checks the invariants and writes the reports', async () => {
    const { code, stdout, stderr } = await runLoadtest('flash');
    assert.equal(code, 0, `${stdout}\n${stderr}\n${stackOutput.slice(-3000)}`);
    assert.match(stdout, /# npm run loadtest -- flash: invariants hold/);

    const files = readdirSync(reports);
    const json = files.find((file) => /^loadtest-flash-.*\.json$/.test(file));
    assert.ok(json, files.join(', '));
    const base = json.replace(/\.json$/, '');
    for (const file of [`${base}.md`, `${base}-flash.svg`]) assert.ok(existsSync(join(reports, file)), `${file} written`);
    assert.match(readFileSync(join(reports, `${base}-flash.svg`), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);

    const report = JSON.parse(readFileSync(join(reports, json), 'utf8')) as {
      ok: boolean;
      machine: { cores: number; node: string; loadBefore: number[] };
      phases: Array<{ name: string; checks: Array<{ name: string; ok: boolean }>; facts: Record<string, unknown>; cpu: Record<string, unknown>; statuses: Record<string, Record<string, number>> }>;
    };
    assert.equal(report.ok, true);
    assert.ok(report.machine.cores > 0 && report.machine.node.startsWith('v') && report.machine.loadBefore.length === 3);
    const [flash] = report.phases;
    assert.equal(flash.name, 'flash');
    for (const name of ['no oversell', 'one per user', 'every 202 became an order', 'conservation', 'reconciliation consistent']) {
      assert.ok(flash.checks.some((check) => check.name === name && check.ok), `${name}: ${JSON.stringify(flash.checks)}`);
    }
    assert.equal(flash.facts['units sold'], 50);
    assert.equal(flash.statuses.purchase['202'], 50);
    assert.ok('load generator' in flash.cpu && 'seckill service' in flash.cpu, Object.keys(flash.cpu).join(', '));
  });

  it('runs the same spike against the straight-to-database seckill, with its invariants, and drops its database', async () => {
    const server = poolConfigFromUrl(config.DATABASE_URL, 1);
    const root = await mariadb.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
    const flashDatabases = async () => ((await root.query("SHOW DATABASES LIKE 'seckill\\_flashdb\\_%'")) as unknown[]).length;
    const before = await flashDatabases();
    const { code, stdout, stderr } = await runLoadtest('flash-db');
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /# npm run loadtest -- flash-db: invariants hold/);
    const json = readdirSync(reports).find((file) => /^loadtest-flash-db-.*\.json$/.test(file));
    assert.ok(json);
    const report = JSON.parse(readFileSync(join(reports, json), 'utf8')) as {
      phases: Array<{ checks: Array<{ name: string; ok: boolean }>; facts: Record<string, unknown>; cpu: Record<string, unknown> }>;
    };
    const [phase] = report.phases;
    for (const name of ['no oversell', 'one per user', 'every 202 is an order', 'no 5xx', 'sold out']) {
      assert.ok(phase.checks.some((check) => check.name === name && check.ok), `${name}: ${JSON.stringify(phase.checks)}`);
    }
    assert.equal(phase.facts['units sold'], 50);
    assert.ok('straight-to-database server' in phase.cpu, Object.keys(phase.cpu).join(', '));
    try {
      assert.equal(await flashDatabases(), before, 'the phase drops its database');
    } finally {
      await root.end();
    }
  });
});
