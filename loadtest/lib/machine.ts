import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpus, loadavg, totalmem, hostname, release } from 'node:os';
import { cpuSecondsOf } from './processes';

/** What the machine is, for every report: figures mean nothing without it. */
export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
  host: string;
  /** 1, 5 and 15 minute load averages when the run began and when it ended. */
  loadBefore: number[];
  loadAfter?: number[];
}

export function machineFacts(): MachineFacts {
  const list = cpus();
  return {
    cpuModel: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    host: hostname(),
    loadBefore: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

/** Inodes of the sockets listening on a TCP port, from /proc/net/tcp and tcp6 (state 0A = LISTEN). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const local = fields[1];
      if (fields[3] === '0A' && local.slice(local.lastIndexOf(':') + 1) === hexPort) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/**
 * The processes that listen on the given ports, found through /proc: the socket's inode from /proc/net/tcp, then the
 * process holding it among /proc/<pid>/fd. Linux only, and only processes whose fd directory this user may read
 * (all of them as root; one's own otherwise). A port with no process found is left out.
 */
export function pidsListeningOn(ports: Record<string, number>): Record<string, number> {
  const wanted = new Map<string, string>();
  for (const [name, port] of Object.entries(ports)) for (const inode of listeningInodes(port)) wanted.set(`socket:[${inode}]`, name);
  const found: Record<string, number> = {};
  if (wanted.size === 0) return found;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return found;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const name = wanted.get(link);
      if (name !== undefined && found[name] === undefined) found[name] = Number(pid);
    }
    if (Object.keys(found).length === new Set(wanted.values()).size) break;
  }
  return found;
}

/** CPU time of the generator (this process) and of the processes found by port, sampled around one phase. */
export class CpuMeter {
  private readonly startWall = process.hrtime.bigint();
  private readonly startOwn = process.cpuUsage();
  private readonly startOthers: Record<string, number | undefined> = {};

  constructor(private readonly pids: Record<string, number>) {
    for (const [name, pid] of Object.entries(pids)) this.startOthers[name] = cpuSecondsOf(pid);
  }

  /** Cores busy on average since construction (CPU seconds / wall seconds), per process; generator first. */
  read(): Record<string, { pid: number; cores: number; cpuSeconds: number }> {
    const wall = Number(process.hrtime.bigint() - this.startWall) / 1e9;
    const own = process.cpuUsage(this.startOwn);
    const ownSeconds = (own.user + own.system) / 1e6;
    const out: Record<string, { pid: number; cores: number; cpuSeconds: number }> = {
      'load generator': { pid: process.pid, cores: round(ownSeconds / wall), cpuSeconds: round(ownSeconds) },
    };
    for (const [name, pid] of Object.entries(this.pids)) {
      const before = this.startOthers[name];
      const after = cpuSecondsOf(pid);
      if (before === undefined || after === undefined) continue;
      out[name] = { pid, cores: round((after - before) / wall), cpuSeconds: round(after - before) };
    }
    return out;
  }
}

const round = (value: number) => Math.round(value * 100) / 100;
