import { ChildProcess, spawn } from 'node:child_process';
import Redis from 'ioredis';
import { freePort, sleep } from './test-env';

/** A redis-server of a test's own, on its own port, that the test may stop, freeze and restart. */
export interface TestRedisServer {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL): connections are refused until start(). */
  kill(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, commands get no answer until resume(). */
  pause(): void;
  resume(): void;
  /** Starts it again on the same port (empty: it keeps no data). */
  start(): Promise<void>;
}

/**
 * Starts a redis-server (the Debian package's binary, on PATH) on a free port, without persistence, for a test that
 * takes Redis away from a service. Never touches the shared Redis on 6379. Call kill() when done.
 */
export async function startTestRedisServer(): Promise<TestRedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;

  const start = async () => {
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    child = server;
    // Never outlive the test process, even when it ends without its after() hooks (a timeout, a crash).
    const reap = () => server.kill('SIGKILL');
    process.once('exit', reap);
    server.once('exit', () => process.removeListener('exit', reap));
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      for (let attempt = 0; ; attempt++) {
        if (server.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${server.exitCode}`);
        try {
          await probe.connect();
          await probe.ping();
          return;
        } catch (error) {
          if (attempt > 100) throw error;
          await sleep(50);
        }
      }
    } finally {
      probe.disconnect();
    }
  };

  const kill = async () => {
    const server = child;
    child = undefined;
    if (!server || server.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      server.once('exit', () => resolve());
      server.kill('SIGKILL');
    });
  };

  await start();
  return {
    url,
    port,
    kill,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    start,
  };
}
