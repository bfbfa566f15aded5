/**
 * Servers a test owns: a redis-server or a mariadbd of its own, on a free port and in a directory of its own, that the
 * test may kill, stop, freeze and start again without touching the shared Redis (6379) and MariaDB (3306) that every
 * other test uses. The binaries are Debian's (`redis-server` on PATH, `mariadbd` and `mariadb-install-db`).
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import * as mariadb from 'mariadb';
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
  /** Starts it again on the same port: empty without persistence, from its append-only file with it. */
  start(): Promise<void>;
  /** Kills it and deletes its directory (its append-only file with it). */
  remove(): Promise<void>;
}

export interface TestRedisServerOptions {
  /**
   * Persistence: `always` (appendonly yes, appendfsync always: every write is on disk before Redis answers),
   * `everysec` (appendonly yes, appendfsync everysec) or `none` (the default: no AOF, no RDB snapshots).
   */
  appendFsync?: 'always' | 'everysec' | 'none';
}

/** Tries `probe` every 50 ms until it resolves; throws its last error after `timeoutMs` or once `alive()` is false. */
async function until(probe: () => Promise<unknown>, alive: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`${what} exited before it answered`);
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not answer within ${timeoutMs} ms: ${(error as Error).message}`);
      await sleep(50);
    }
  }
}

/** Spawns a server that never outlives the test process, even when it ends without its after() hooks. */
function spawnOwned(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore' });
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.removeListener('exit', reap));
  return child;
}

async function killChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGCONT'); // a paused server must run to die of SIGTERM
    child.kill(signal);
  });
}

/**
 * Starts a redis-server (the Debian package's binary, on PATH) on a free port, in a directory of its own under the
 * system's temporary directory, for a test that takes Redis away from a service or restarts it. Never touches the
 * shared Redis on 6379. Call remove() when done.
 */
export async function startTestRedisServer(options: TestRedisServerOptions = {}): Promise<TestRedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'seckill-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const fsync = options.appendFsync ?? 'none';
  const persistence = fsync === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', fsync];
  let child: ChildProcess | undefined;

  const start = async () => {
    const server = spawnOwned('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, '--logfile', join(dir, 'redis.log'),
    ]);
    child = server;
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      // PING answers LOADING while an append-only file is being replayed: wait until the data is there.
      await until(
        async () => {
          if (probe.status !== 'ready') await probe.connect();
          await probe.ping();
        },
        () => server.exitCode === null,
        10_000,
        `redis-server on port ${port}`,
      );
    } finally {
      probe.disconnect();
    }
  };

  const kill = async () => {
    const server = child;
    child = undefined;
    await killChild(server, 'SIGKILL');
  };

  await start();
  return {
    url,
    port,
    kill,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    start,
    remove: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A mariadbd of a test's own, with its own port and data directory, that the test may stop and start again. */
export interface TestMariaDbServer {
  /** mysql://root@127.0.0.1:<port> (root, no password), to which a test appends a database name. */
  readonly url: string;
  readonly port: number;
  /** Shuts it down cleanly (SIGTERM, as `systemctl stop` does): connections are refused until start(). */
  stop(): Promise<void>;
  /** Kills it (SIGKILL): InnoDB recovers from its redo log at the next start(). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Kills it and deletes its data directory. */
  remove(): Promise<void>;
}

const SBIN = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

/** A binary's path: on PATH or in one of the system directories where Debian installs MariaDB's. */
function binary(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SBIN];
  const found = dirs.map((dir) => join(dir, name)).find((path) => existsSync(path));
  if (!found) throw new Error(`${name} not found (install mariadb-server)`);
  return found;
}

/**
 * Initialises a data directory with `mariadb-install-db` (root over TCP without a password, as the shared server the
 * tests use) and starts a mariadbd on a free port over it. Takes a few seconds. Never touches the shared MariaDB on
 * 3306. Call remove() when done.
 */
export async function startTestMariaDbServer(): Promise<TestMariaDbServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'seckill-mariadb-'));
  const data = join(dir, 'data');
  // mariadbd refuses to run as root unless told which user to be.
  const user = process.getuid?.() === 0 ? ['--user=root'] : [];
  await promisify(execFile)(binary('mariadb-install-db'), [
    '--no-defaults', `--datadir=${data}`, ...user, '--auth-root-authentication-method=normal', '--skip-test-db',
  ]);
  const url = `mysql://root@127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    const server = spawnOwned(binary('mariadbd'), [
      '--no-defaults', `--datadir=${data}`, ...user, `--port=${port}`, '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'mysqld.sock')}`, `--pid-file=${join(dir, 'mysqld.pid')}`, `--log-error=${join(dir, 'error.log')}`,
      '--skip-log-bin', '--skip-name-resolve', '--innodb-buffer-pool-size=64M', '--max-connections=1000',
    ]);
    child = server;
    await until(
      async () => {
        const connection = await mariadb.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
        await connection.end();
      },
      () => server.exitCode === null,
      60_000,
      `mariadbd on port ${port}`,
    );
  };

  await start();
  return {
    url,
    port,
    stop: async () => {
      const server = child;
      child = undefined;
      await killChild(server, 'SIGTERM');
    },
    kill: async () => {
      const server = child;
      child = undefined;
      await killChild(server, 'SIGKILL');
    },
    start,
    remove: async () => {
      const server = child;
      child = undefined;
      await killChild(server, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
