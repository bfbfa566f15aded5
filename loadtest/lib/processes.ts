import { ChildProcess, fork, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** A child process the benchmark started and must stop. */
export interface Child {
  name: string;
  process: ChildProcess;
  /** The last lines it printed, shown when it fails. */
  tail: string[];
  /** Lines it printed in all (with LOG_LEVEL=warn, every line is a warning or an error). */
  lines: number;
}

const TAIL_LINES = 40;

function capture(name: string, child: ChildProcess, echo: boolean): Child {
  const handle: Child = { name, process: child, tail: [], lines: 0 };
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      handle.lines++;
      handle.tail.push(line);
      if (handle.tail.length > TAIL_LINES) handle.tail.shift();
      if (echo) process.stderr.write(`[${name}] ${line}\n`);
    });
  }
  return handle;
}

/**
 * Starts `node [nodeArgs] <script>` with the given environment; its output goes to stderr, prefixed with its name.
 * nodeArgs are Node's own flags (e.g. --cpu-prof, which NODE_OPTIONS does not accept).
 */
export function startNode(name: string, script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeArgs, script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return capture(name, child, true);
}

/** Forks a script that reports `{port}` over IPC once it listens; resolves with the child and that port. */
export function forkListening(
  name: string,
  script: string,
  timeoutMs: number,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: Child; port: number }> {
  const child = capture(name, fork(script, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }), true);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not report its port within ${timeoutMs} ms`)), timeoutMs);
    child.process.once('message', (message: unknown) => {
      clearTimeout(timer);
      const port = typeof message === 'object' && message !== null && 'port' in message ? Number(message.port) : NaN;
      if (Number.isInteger(port) && port > 0) resolve({ child, port });
      else reject(new Error(`${name} sent ${JSON.stringify(message)} instead of its port`));
    });
    child.process.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before listening:\n${child.tail.join('\n')}`));
    });
  });
}

/** A TCP port of 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx; fails early when the child exits. */
export async function waitReady(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited (${child.process.signalCode ?? child.process.exitCode}):\n${child.tail.join('\n')}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${child.name} not ready at ${url} after ${timeoutMs / 1000} s:\n${child.tail.join('\n')}`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Linux clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on every mainstream kernel build). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used so far, from /proc; undefined where /proc is unavailable. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, hence the last ')'): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** CPU seconds the whole machine has been busy (all cores, everything but idle and iowait), from /proc/stat. */
export function machineBusySeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user)
    const busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
    return busy / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Pid of a running program by its command name (e.g. the MariaDB server), from /proc; undefined when not found. */
export function pidOf(...names: string[]): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(entry)) continue;
      try {
        if (names.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
