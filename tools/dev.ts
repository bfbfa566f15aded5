import { ChildProcess, spawn } from 'node:child_process';
import { cpSync, watch } from 'node:fs';
import { join, relative } from 'node:path';
import { SERVICES, ServiceName } from '@seckill/contracts';
import { loadConfig } from '@seckill/platform';
import { loadDotEnv, REPO_ROOT } from './env-file';
import { busyPortsMessage, busyServices, onParentGone } from './local-stack';
import { migrate } from './migrate';

/**
 * `npm run dev -- <service>`: one service in watch mode. The TypeScript compiler watches the sources and rewrites
 * dist/; assets (Lua scripts, page files) are copied there as they change; the service restarts whenever anything
 * under dist/apps or dist/libs changes. Reads `.env`, refuses a busy port, migrates first, and stops everything on
 * Ctrl-C or when this process dies. The other services, when needed, run with one `npm run dev` each.
 */
const ASSET = /\.(lua|html|css|js|svg)$/;

function usage(): never {
  process.stderr.write(`usage: npm run dev -- <${Object.keys(SERVICES).join('|')}>\n`);
  process.exit(64);
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !(name in SERVICES)) usage();
  const service = name as ServiceName;
  loadDotEnv();
  const config = loadConfig();
  const busy = await busyServices(config, [service]);
  if (busy.length > 0) {
    process.stderr.write(busyPortsMessage(config, busy, 'dev'));
    process.exit(1);
  }
  await migrate();

  const dist = join(REPO_ROOT, 'dist');
  const tsc = spawn(
    process.execPath,
    [
      '--require', join(__dirname, 'supervised-child.js'),
      require.resolve('typescript/bin/tsc'), '-p', join(REPO_ROOT, 'tsconfig.json'), '--watch', '--preserveWatchOutput',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  for (const top of ['apps', 'libs']) {
    watch(join(REPO_ROOT, top), { recursive: true }, (_event, file) => {
      if (!file || !ASSET.test(file) || file.includes('node_modules')) return;
      const from = join(REPO_ROOT, top, file);
      try {
        cpSync(from, join(dist, relative(REPO_ROOT, from)));
      } catch {
        // deleted or mid-write: the next event copies it
      }
    });
  }
  // Restarts are this process's, not `node --watch`'s: its watcher process would not stop when this one is killed.
  let server: ChildProcess | undefined;
  let stopping = false;
  const startServer = () => {
    const child = spawn(
      process.execPath,
      ['--require', join(__dirname, 'supervised-child.js'), join(dist, `apps/${service}/src/main.js`)],
      // Development output: pino-pretty unless told otherwise.
      { env: { ...process.env, LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    child.on('exit', (code, signal) => {
      if (!stopping && server === child) process.stderr.write(`dev: ${service} exited (${signal ?? code}); waiting for a change\n`);
    });
    server = child;
  };
  const restart = async () => {
    const previous = server;
    server = undefined;
    if (previous && previous.exitCode === null && previous.signalCode === null) {
      const exited = new Promise((resolve) => previous.once('exit', resolve));
      previous.kill('SIGTERM');
      await exited;
    }
    if (!stopping) startServer();
  };
  let pending: NodeJS.Timeout | undefined;
  for (const dir of ['apps', 'libs']) {
    // tsc writes a burst of files per change: one restart once it is quiet for a moment.
    watch(join(dist, dir), { recursive: true }, () => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        process.stdout.write(`dev: restarting ${service}\n`);
        void restart();
      }, 300);
    });
  }
  startServer();
  const stop = () => {
    stopping = true;
    process.stdout.write(`dev: stopping ${service}\n`);
    tsc.kill('SIGTERM');
    server?.kill('SIGTERM');
    if (!server) process.exit(0);
    server?.once('exit', () => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  onParentGone(stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
