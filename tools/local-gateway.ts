import { execFileSync, spawn, ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, servicePort } from '@seckill/platform';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDotEnv } from './env-file';
import { reachableHost } from './local-stack';

/**
 * The compose gateway without Docker: Debian's nginx runs docker/gateway.conf.template, rendered as nginx's image
 * renders it (every ${NAME} from the environment), with process settings like docker/nginx.conf's but every path in a
 * folder of its own, so that it runs unprivileged. tools/gateway.e2e.spec.ts tests the template this way, and
 * `npm run gateway` puts it in front of `npm start` (for `npm run loadtest -- … --target http://127.0.0.1:8080`).
 */

export const NGINX = '/usr/sbin/nginx';
const repo = resolve(__dirname, '..', '..');

export function gatewayTemplate(): string {
  return readFileSync(join(repo, 'docker/gateway.conf.template'), 'utf8');
}

/** The template with every ${NAME} replaced by its value; a name without one is an error that names it. */
export function renderGatewayTemplate(vars: Record<string, string>, template = gatewayTemplate()): string {
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`no value for \${${name}} of the gateway template`);
    return value;
  });
}

export interface LocalGateway {
  url: string;
  process: ChildProcess;
  dir: string;
}

/**
 * Starts nginx with the rendered template on `listen` (host:port) and waits until it answers /health/live. Runs as
 * nobody when this process is root. The caller stops it with stopLocalGateway.
 */
export async function startLocalGateway(
  vars: Record<string, string>,
  listen: string,
  options: { workerConnections?: number; stdio?: 'ignore' | 'inherit' } = {},
): Promise<LocalGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-'));
  try {
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, 'gateway.conf'), renderGatewayTemplate({ ...vars, GATEWAY_LISTEN: listen, GATEWAY_RESOLVER: '127.0.0.1' }));
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'daemon off;',
        'worker_processes 1;',
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log warn;`,
        `events { worker_connections ${options.workerConnections ?? 256}; }`,
        'http {',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`),
        `  include ${dir}/gateway.conf;`,
        '}',
      ].join('\n'),
    );
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const args = ['-p', dir, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`];
    try {
      execFileSync(NGINX, ['-t', '-q', ...args], { ...asNobody, stdio: 'pipe' });
    } catch (error) {
      throw new Error(`nginx refuses the gateway configuration: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
    }
    const child = spawn(NGINX, args, { ...asNobody, stdio: options.stdio ?? 'ignore' });
    const url = `http://${listen}`;
    const deadline = Date.now() + 10_000;
    while (!(await fetch(`${url}/health/live`).catch(() => undefined))?.ok) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
      }
      await sleep(50);
    }
    return { url, process: child, dir };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Stops nginx gracefully (SIGQUIT) and removes its folder. */
export async function stopLocalGateway(gateway: LocalGateway | undefined): Promise<void> {
  if (!gateway) return;
  if (gateway.process.exitCode === null) {
    const exited = new Promise((done) => gateway.process.once('exit', done));
    gateway.process.kill('SIGQUIT');
    await exited;
  }
  rmSync(gateway.dir, { recursive: true, force: true });
}

/**
 * `npm run gateway`: the gateway in front of `npm start`'s services, on GATEWAY_PORT (8080), with the compose file's
 * defaults for everything else (GATEWAY_LIMIT_RATE 20r/s, GATEWAY_LIMIT_BURST 40, GATEWAY_LIMIT_CONN 20,
 * GATEWAY_DOCS off), each overridable from the environment or .env. Ctrl-C stops it.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const host = reachableHost(config);
  const upstream = (service: Parameters<typeof servicePort>[0]) => `${host}:${servicePort(service, config)}`;
  const env = process.env;
  const vars = {
    AUTH_UPSTREAM: upstream('auth'),
    SECKILL_UPSTREAM: upstream('seckill'),
    ORDER_UPSTREAM: upstream('order'),
    PAYMENT_UPSTREAM: upstream('payment'),
    ADMIN_UPSTREAM: upstream('admin'),
    GATEWAY_DOCS: env.GATEWAY_DOCS ?? 'off',
    GATEWAY_LIMIT_RATE: env.GATEWAY_LIMIT_RATE ?? '20r/s',
    GATEWAY_LIMIT_BURST: env.GATEWAY_LIMIT_BURST ?? '40',
    GATEWAY_LIMIT_CONN: env.GATEWAY_LIMIT_CONN ?? '20',
  };
  const listen = `127.0.0.1:${env.GATEWAY_PORT ?? '8080'}`;
  const gateway = await startLocalGateway(vars, listen, { workerConnections: 8192, stdio: 'inherit' });
  process.stdout.write(
    `gateway: ${gateway.url} → auth ${vars.AUTH_UPSTREAM}, seckill ${vars.SECKILL_UPSTREAM}, order ${vars.ORDER_UPSTREAM}, ` +
      `payment ${vars.PAYMENT_UPSTREAM}, admin ${vars.ADMIN_UPSTREAM}; limits ${vars.GATEWAY_LIMIT_RATE}, burst ` +
      `${vars.GATEWAY_LIMIT_BURST}, ${vars.GATEWAY_LIMIT_CONN} connections per address. Ctrl-C stops it.\n`,
  );
  let stopping = false;
  const stop = () => {
    stopping = true;
    void stopLocalGateway(gateway).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  gateway.process.once('exit', (code) => {
    if (stopping) return;
    process.stderr.write(`gateway: nginx exited (${code})\n`);
    process.exit(1);
  });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
