import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SERVICES, ServiceName } from '@seckill/contracts';
import { AppConfig, loadConfig } from '@seckill/platform';
import { DemoOutcome, ensureDemoActivity } from './demo-activity';
import { loadDotEnv } from './env-file';
import { busyPortsMessage, busyServices, onParentGone, SERVICE_NAMES, serviceUrl } from './local-stack';
import { migrate } from './migrate';

/**
 * `npm start`: a supervisor for the six services on one machine. It reads `.env` when there is one, refuses to start
 * over ports that are taken (an earlier start still running, say), migrates every database, starts the services
 * (the admin service seeds a demo into an empty database), waits until each is ready, makes sure a demo activity is
 * on sale or about to be (tools/demo-activity.ts), and prints where everything is.
 * Ctrl-C (or SIGTERM) stops them all and says so; the services also stop on their own when this process dies
 * however it dies, even by SIGKILL (see supervised-child.ts), and this process stops them when npm, its parent, dies.
 */
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
const children = new Map<ServiceName, ChildProcess>();
let stopping = false;

function say(message: string): void {
  process.stdout.write(`start: ${message}\n`);
}

function startService(name: ServiceName, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--require', join(__dirname, 'supervised-child.js'), join(__dirname, `../apps/${name}/src/main.js`)], {
    env,
    // The IPC channel is the services' lifeline: it closes when this process dies.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const label = `[${name}]`.padEnd(10);
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${label}${line}\n`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) {
      // Nest re-raises the stop signal once it has shut down: dying by it is a clean stop.
      const clean = code === 0 || signal === 'SIGTERM' || signal === 'SIGINT';
      say(`${name} stopped${clean ? '' : ` (${signal ?? `exit code ${code}`})`}`);
    } else {
      process.stderr.write(`start: ${name} exited (${signal ?? `exit code ${code}`}); stopping the others\n`);
      void stopAll(1);
    }
  });
  return child;
}

async function waitReady(name: ServiceName, url: string, child: ChildProcess, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (stopping || child.exitCode !== null) throw new Error(`${name} exited before it was ready`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} is not ready after ${READY_TIMEOUT_MS / 1000} s (${url}/health/ready)`);
}

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (children.size === 0) process.exit(exitCode);
  say(`stopping ${[...children.keys()].join(', ')} ...`);
  const exits = [...children.values()].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
      }),
  );
  await Promise.all(exits);
  say(exitCode === 0 ? 'all services stopped. Bye.' : 'all services stopped.');
  process.exit(exitCode);
}

function when(iso: string, now: number): string {
  const at = Date.parse(iso);
  const local = new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  if (at <= now) return `since ${local}`;
  return `from ${local} (in ${Math.round((at - now) / 1000)} s)`;
}

function banner(config: AppConfig, demo: DemoOutcome | undefined, envFile: string | undefined): string {
  const lines = SERVICE_NAMES.map((name) => {
    const base = serviceUrl(name, config);
    return `  ${name.padEnd(8)} ${base}${SERVICES[name].prefix}   (docs ${base}/docs)`;
  });
  let demoLines = '  no demo activity (SEED_DEMO=false)\n';
  if (demo) {
    const { activity, created } = demo;
    const now = Date.now();
    demoLines =
      `  activity ${activity.id}: "${activity.title}", ${activity.remaining} of ${activity.stock} left, on sale ` +
      `${when(activity.startAt, now)} until ${new Date(activity.endAt).toLocaleString()}` +
      `${created ? ' (made now: none was on sale or about to be)' : ''}\n` +
      `  DEMO=${activity.id}   # the README's curl session uses this id\n`;
  }
  return (
    `\nAll six services are ready:\n${lines.join('\n')}\n` +
    `Demo:\n${demoLines}` +
    `Shop page: ${serviceUrl('seckill', config)}/shop/\n` +
    `Dashboard: ${serviceUrl('admin', config)}/admin/ (queue board at /admin/queues)\n` +
    // The development default is printed; a password of the operator's own choosing is not.
    `Admin login: ${config.ADMIN_USERNAME} / ${config.ADMIN_PASSWORD === new AppConfig().ADMIN_PASSWORD ? config.ADMIN_PASSWORD : '(ADMIN_PASSWORD)'}.\n` +
    `paysim faults: PUT ${SERVICES.paysim.prefix}/faults with X-Provider-Admin-Key (PROVIDER_ADMIN_KEY).` +
    `${envFile ? ` Settings read from ${envFile}.` : ''} Ctrl-C stops everything.\n\n`
  );
}

/**
 * Here each service listens on its own port of one host, where behind the gateway they share one origin: tell the
 * shop page where auth is (and let auth answer it across origins), and payment and paysim where each other are.
 * A value already set (environment or .env) wins.
 */
function linkServices(ports: AppConfig): void {
  const host = ports.HOST === '0.0.0.0' || ports.HOST === '::' ? '127.0.0.1' : ports.HOST;
  const env = process.env;
  env.SHOP_AUTH_URL ??= `http://${host}:${ports.AUTH_PORT}`;
  env.CORS_ALLOWED_ORIGINS ??= [host, 'localhost', '127.0.0.1']
    .filter((name, index, all) => all.indexOf(name) === index)
    .map((name) => `http://${name}:${ports.SECKILL_PORT}`)
    .join(',');
  env.PAYMENT_PROVIDER_URL ??= `http://${host}:${ports.PAYSIM_PORT}`;
  env.PAYSIM_CALLBACK_URL ??= `http://${host}:${ports.PAYMENT_PORT}/api/payments/callback`;
}

async function main(): Promise<void> {
  const envFile = loadDotEnv();
  // npm start seeds a demo unless told not to (the services' own default is not to).
  process.env.SEED_DEMO ??= 'true';
  linkServices(loadConfig());
  const config = loadConfig();
  const busy = await busyServices(config);
  if (busy.length > 0) {
    process.stderr.write(busyPortsMessage(config, busy, 'start'));
    process.exit(1);
  }
  await migrate();

  // Readable output when a person watches: pino-pretty in development, in colour on a terminal.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(process.stdout.isTTY && process.env.NO_COLOR === undefined ? { FORCE_COLOR: '1' } : {}),
  };
  process.on('SIGINT', () => (stopping ? forceStop() : void stopAll(0)));
  process.on('SIGTERM', () => void stopAll(0));
  onParentGone(() => {
    say('npm start is gone (its process was killed)');
    void stopAll(1);
  });
  for (const name of SERVICE_NAMES) children.set(name, startService(name, env));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  await Promise.all(SERVICE_NAMES.map((name) => waitReady(name, serviceUrl(name, config), children.get(name)!, deadline)));
  const demo = config.SEED_DEMO
    ? await ensureDemoActivity(
        { auth: serviceUrl('auth', config), seckill: serviceUrl('seckill', config), admin: serviceUrl('admin', config) },
        { username: config.ADMIN_USERNAME, password: config.ADMIN_PASSWORD },
      )
    : undefined;
  process.stdout.write(banner(config, demo, envFile));
}

/** A second Ctrl-C while stopping: no more waiting. */
function forceStop(): void {
  say('stopping now');
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(130);
}

main().catch((error: unknown) => {
  process.stderr.write(`start: ${error instanceof Error ? error.message : String(error)}\n`);
  void stopAll(1);
});
