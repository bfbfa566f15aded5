import { createServer } from 'node:net';
import { SERVICES, ServiceName } from '@seckill/contracts';
import { AppConfig, servicePort } from '@seckill/platform';

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** The address to reach a service on: the bind address, or loopback when it binds every interface. */
export function reachableHost(config: AppConfig): string {
  return config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
}

export function serviceUrl(name: ServiceName, config: AppConfig): string {
  return `http://${reachableHost(config)}:${servicePort(name, config)}`;
}

/** Whether something already listens on host:port (binding it fails with EADDRINUSE). */
function portBusy(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(true);
      else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** The services among `names` whose port is taken on the configured host. */
export async function busyServices(config: AppConfig, names: ServiceName[] = SERVICE_NAMES): Promise<ServiceName[]> {
  const busy: ServiceName[] = [];
  for (const name of names) if (await portBusy(servicePort(name, config), config.HOST)) busy.push(name);
  return busy;
}

/** The message that names busy ports and what to do about them. */
export function busyPortsMessage(config: AppConfig, busy: ServiceName[], doing: string): string {
  const list = busy.map((name) => `${servicePort(name, config)} (${name})`).join(', ');
  const first = servicePort(busy[0], config);
  return (
    `${doing}: port${busy.length > 1 ? 's' : ''} ${list} ${busy.length > 1 ? 'are' : 'is'} already in use on ${config.HOST}.\n` +
    `An earlier npm start may still be running: stop it (\`ss -ltnp 'sport = :${first}'\` shows the process), ` +
    `or choose other ports (${busy.map((name) => `${name.toUpperCase()}_PORT`).join(', ')}).\n`
  );
}

/**
 * Calls `gone` once this process's parent has exited (it is then re-parented, and its parent pid changes). `npm start`
 * execs the supervisor, so its parent is npm itself: killing npm, even by SIGKILL, stops the supervisor and with it
 * every service, instead of leaving them holding their ports.
 */
export function onParentGone(gone: () => void, everyMs = 1000): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      gone();
    }
  }, everyMs);
  timer.unref();
}
