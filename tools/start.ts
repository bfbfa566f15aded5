import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SERVICES, ServiceName } from '@seckill/contracts';
import { AppConfig, loadConfig, servicePort } from '@seckill/platform';
import { migrate } from './migrate';

/**
 * `npm start`: migrates every database, starts the six services (the demo activity is seeded by the admin
 * service, the admin account ensured by auth), waits until each is ready, prints their URLs and stops them all
 * on Ctrl-C.
 */
const READY_TIMEOUT_MS = 90_000;
const names = Object.keys(SERVICES) as ServiceName[];
const children = new Map<ServiceName, ChildProcess>();
let stopping = false;

function startService(name: ServiceName, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [join(__dirname, `../apps/${name}/src/main.js`)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const label = `[${name}]`.padEnd(10);
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${label}${line}\n`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      process.stderr.write(`${name} exited (${signal ?? code}); stopping the others\n`);
      void stopAll(1);
    }
  });
  return child;
}

async function waitReady(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (stopping) throw new Error('stopped');
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} not ready after ${READY_TIMEOUT_MS / 1000} s`);
}

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const exits = [...children.values()].map(
    (child) => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
  );
  await Promise.all(exits);
  process.exit(exitCode);
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, SEED_DEMO: process.env.SEED_DEMO ?? 'true' };
  const ports = loadConfig(env);
  const pageHost = ports.HOST === '0.0.0.0' || ports.HOST === '::' ? '127.0.0.1' : ports.HOST;
  // The shop page (served by seckill) logs in at auth, another port here: tell it where, and let auth answer it.
  env.SHOP_AUTH_URL ??= `http://${pageHost}:${ports.AUTH_PORT}`;
  env.CORS_ALLOWED_ORIGINS ??= [pageHost, 'localhost', '127.0.0.1']
    .filter((name, index, all) => all.indexOf(name) === index)
    .map((name) => `http://${name}:${ports.SECKILL_PORT}`)
    .join(',');
  // The payment service and paysim find each other on whatever ports they were given.
  env.PAYMENT_PROVIDER_URL ??= `http://${pageHost}:${ports.PAYSIM_PORT}`;
  env.PAYSIM_CALLBACK_URL ??= `http://${pageHost}:${ports.PAYMENT_PORT}/api/payments/callback`;
  const config = loadConfig(env);
  await migrate();
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  for (const name of names) children.set(name, startService(name, env));
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  await Promise.all(names.map((name) => waitReady(`http://${host}:${servicePort(name, config)}/health/ready`, deadline)));
  const lines = names.map((name) => {
    const base = `http://${host}:${servicePort(name, config)}`;
    return `  ${name.padEnd(8)} ${base}${SERVICES[name].prefix}   (docs ${base}/docs)`;
  });
  process.stdout.write(
    `\nAll six services are ready:\n${lines.join('\n')}\n` +
      `Shop page: http://${host}:${config.SECKILL_PORT}/shop/\n` +
      `Dashboard: http://${host}:${config.ADMIN_PORT}/admin/ (queue board at /admin/queues)\n` +
      // The development default is printed; a password of the operator's own choosing is not.
      `Admin login: ${config.ADMIN_USERNAME} / ${config.ADMIN_PASSWORD === new AppConfig().ADMIN_PASSWORD ? config.ADMIN_PASSWORD : '(ADMIN_PASSWORD)'}.\n` +
      `paysim faults: PUT ${SERVICES.paysim.prefix}/faults with X-Provider-Admin-Key (PROVIDER_ADMIN_KEY). Ctrl-C stops everything.\n\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`start: ${error instanceof Error ? error.message : String(error)}\n`);
  void stopAll(1);
  if (children.size === 0) process.exit(1);
});
