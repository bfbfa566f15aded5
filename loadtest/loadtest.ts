import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@seckill/platform';
import { loadDotEnv } from '../tools/env-file';
import { OrderReader } from './lib/invariants';
import { machineFacts, pidsListeningOn } from './lib/machine';
import { PhaseReport, RunReport, runMarkdown, writeRunReport } from './lib/run-report';
import { AdminApi, assertSeckillReady, stackUrls } from './lib/stack';
import { browse } from './scenarios/browse';
import { LoadtestContext, LoadtestOptions, userFactory } from './scenarios/context';
import { flash } from './scenarios/flash';
import { flashDb } from './scenarios/flash-db';
import { pay } from './scenarios/pay';
import { soldoutStorm } from './scenarios/soldout-storm';

const USAGE = `npm run loadtest -- <flash|flash-db|soldout-storm|browse|pay|full> [options]

Runs against a stack that is already running (npm start, or docker compose through its gateway). flash-db runs the
same spike as flash against the straight-to-database seckill (loadtest/db-seckill-server.ts, started here, in a
database of its own on the stack's MariaDB): the baseline the funnel exists to beat. full runs flash,
soldout-storm, browse, pay and flash-db.

  --target <url>            one base URL for every service (the compose gateway, e.g. http://127.0.0.1:8080);
                            default: each service on npm start's ports (HOST and *_PORT from the environment / .env)
  --paysim <url>            paysim's URL (never behind the gateway); default http://HOST:PAYSIM_PORT
  --shoppers <n>            flash, flash-db: shoppers (default 20000)
  --stock <n>               flash, flash-db: units on sale (default 500)
  --connections <n>         HTTP connections of the load generator (default 200)
  --front-door on|off       flash: waiting room, staggered entry and proof-of-work on the activity (default off)
  --admit-per-second <n>    front door: waiting-room rate (default 2000)
  --stagger-seconds <n>     front door: staggered entry window (default 2)
  --challenge-difficulty <n> front door: proof-of-work, hash attempts at most (default 300; kept low: the generator
                            solves every shopper's challenge on its own CPU)
  --duration <s>            soldout-storm and browse: seconds of load (default 20)
  --fail-share <0-1>        pay: share of paysim's calls that fail (default 0.2)
  --max-seconds <s>         stop a phase's load after this long whatever is left (default 300)
  --drain-timeout <s>       flash: how long to wait for every 202 to become an order (default 120)
  --reports <dir>           where reports go (default loadtest/reports)
  --quiet                   no progress bar (also when CI is set or stderr is not a terminal)

Needs the stack's JWT_SECRET (shoppers' tokens are minted locally), its admin login or JWT_SECRET, its MySQL
(DATABASE_URL, ORDER_SHARD_URLS) for the invariants, and PROVIDER_ADMIN_KEY for pay: the same environment or .env
as the stack. The stack should exempt the generator's address from per-IP limits (RATE_LIMIT_IP_ALLOWLIST).
Exit code 1 when an invariant breaks or the run fails.`;

const SCENARIOS = ['flash', 'flash-db', 'soldout-storm', 'browse', 'pay', 'full'] as const;
type Scenario = (typeof SCENARIOS)[number];

function log(message: string): void {
  process.stderr.write(`loadtest: ${message}\n`);
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}

function parse(argv: string[]): { scenario: Scenario; options: LoadtestOptions; target?: string; paysim?: string; reports: string } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      paysim: { type: 'string' },
      shoppers: { type: 'string' },
      stock: { type: 'string' },
      connections: { type: 'string' },
      'front-door': { type: 'string' },
      'admit-per-second': { type: 'string' },
      'stagger-seconds': { type: 'string' },
      'challenge-difficulty': { type: 'string' },
      duration: { type: 'string' },
      'fail-share': { type: 'string' },
      'max-seconds': { type: 'string' },
      'drain-timeout': { type: 'string' },
      reports: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const scenario = positionals[0] as Scenario | undefined;
  if (values.help || !scenario || !SCENARIOS.includes(scenario) || positionals.length > 1) {
    throw new Error(USAGE);
  }
  const frontDoor = values['front-door'] ?? 'off';
  if (frontDoor !== 'on' && frontDoor !== 'off') throw new Error(`--front-door must be on or off, got "${frontDoor}"`);
  const failShare = values['fail-share'] === undefined ? 0.2 : Number(values['fail-share']);
  if (!(failShare >= 0 && failShare <= 1)) throw new Error(`--fail-share must be a number from 0 to 1, got "${values['fail-share']}"`);
  const difficulty = values['challenge-difficulty'] === undefined ? 300 : Number(values['challenge-difficulty']);
  if (!Number.isInteger(difficulty) || difficulty < 0) throw new Error('--challenge-difficulty must be an integer ≥ 0');
  const staggerSeconds = values['stagger-seconds'] === undefined ? 2 : Number(values['stagger-seconds']);
  if (!Number.isInteger(staggerSeconds) || staggerSeconds < 0) throw new Error('--stagger-seconds must be an integer ≥ 0');
  return {
    scenario,
    target: values.target,
    paysim: values.paysim,
    reports: resolve(values.reports ?? resolve(__dirname, '..', '..', 'loadtest', 'reports')),
    options: {
      shoppers: positiveInt('shoppers', values.shoppers, 20_000),
      stock: positiveInt('stock', values.stock, 500),
      connections: positiveInt('connections', values.connections, 200),
      frontDoor: frontDoor === 'on',
      admitPerSecond: positiveInt('admit-per-second', values['admit-per-second'], 2000),
      staggerSeconds,
      challengeDifficulty: difficulty,
      durationSeconds: positiveInt('duration', values.duration, 20),
      failShare,
      maxSeconds: positiveInt('max-seconds', values['max-seconds'], 300),
      drainTimeoutSeconds: positiveInt('drain-timeout', values['drain-timeout'], 120),
      progress: !values.quiet && process.stderr.isTTY === true && !process.env.CI,
    },
  };
}

/** host:port of a mysql:// or redis:// URL when it is this machine, for finding its process. */
function localPort(url: string): number | undefined {
  try {
    const parsed = new URL(url);
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname)) return undefined;
    return Number(parsed.port || (parsed.protocol === 'redis:' ? 6379 : 3306));
  } catch {
    return undefined;
  }
}

export async function main(argv: string[]): Promise<number> {
  const envFile = loadDotEnv();
  const { scenario, options, target, paysim, reports } = parse(argv);
  const config = loadConfig();
  const urls = stackUrls(config, target, paysim);
  const machine = machineFacts();
  log(`machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadBefore.join(' / ')}${envFile ? `; settings from ${envFile}` : ''}`);
  if (machine.loadBefore[0] > machine.cores * 0.5) log(`the machine is busy (load average ${machine.loadBefore[0]} on ${machine.cores} cores): the figures will show it`);
  try {
    await assertSeckillReady(urls.seckill);
  } catch (error) {
    throw new Error(`the seckill service at ${urls.seckill} is not ready (${(error as Error).message}): start the stack first (npm start), or pass --target`);
  }
  if (config.RATE_LIMIT_IP_ALLOWLIST.length === 0) {
    log('RATE_LIMIT_IP_ALLOWLIST is empty here: unless the stack exempts this address, per-IP limits answer most requests 429 (see loadtest/README.md)');
  }
  const admin = await AdminApi.connect(urls, config);
  log(`admin API: ${admin.how}`);
  const orders = await OrderReader.open(config, admin);
  log(`orders for the invariants: ${orders.why}`);

  // The processes whose CPU is reported: the services, Redis and MariaDB found by the ports they listen on.
  const ports: Record<string, number> = {};
  for (const [name, port] of Object.entries(urls.ports)) if (port) ports[`${name} service`] = port;
  const redisPort = localPort(config.REDIS_URL);
  const mysqlPort = localPort(config.DATABASE_URL);
  if (redisPort) ports.redis = redisPort;
  if (mysqlPort) ports.mariadb = mysqlPort;
  const pids = pidsListeningOn(ports);
  const cpuSkipped = Object.keys(ports)
    .filter((name) => pids[name] === undefined)
    .map((name) => `${name} (port ${ports[name]}: no process of this machine found listening, or its /proc entry is not readable)`);
  if (urls.mode === 'gateway') cpuSkipped.push('the services behind the gateway (their processes are not addressed by port here)');

  const ctx: LoadtestContext = { config, urls, admin, orders, options, pids, users: userFactory(config), log };
  const started = new Date();
  const phases: PhaseReport[] = [];
  const run = async (name: Scenario) => {
    switch (name) {
      case 'flash':
        phases.push(await flash(ctx));
        break;
      case 'flash-db':
        phases.push(await flashDb(ctx));
        break;
      case 'soldout-storm':
        phases.push(...(await soldoutStorm(ctx)));
        break;
      case 'browse':
        phases.push(await browse(ctx));
        break;
      case 'pay':
        phases.push(...(await pay(ctx)));
        break;
      case 'full':
        // flash-db runs after flash, not between flash and the phases that use its sale (ctx.sale).
        for (const step of ['flash', 'soldout-storm', 'browse', 'pay', 'flash-db'] as const) await run(step);
        break;
    }
  };
  await run(scenario);

  const report: RunReport = {
    scenario,
    command: `npm run loadtest -- ${argv.join(' ')}`,
    startedAt: started.toISOString(),
    target: urls.mode === 'gateway' ? urls.seckill : `npm start's ports (seckill ${urls.seckill})`,
    machine,
    cpuSkipped,
    ordersFrom: orders.why,
    phases,
    ok: phases.every((phase) => phase.checks.every((check) => check.ok)),
  };
  const base = `loadtest-${scenario}-${started.toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
  const written = writeRunReport(reports, base, report);
  process.stdout.write(`${runMarkdown(report)}\n`);
  log(`report: ${written.join(', ')}`);
  for (const phase of phases) for (const check of phase.checks) if (!check.ok) log(`INVARIANT BROKEN in ${phase.name}: ${check.name}: ${check.detail}`);
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      log(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
