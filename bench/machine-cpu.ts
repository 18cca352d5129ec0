/**
 * Where a bench's machine CPU goes: the CPU time of each part that shares the machine with the service under
 * test (PostgreSQL's postmaster and backends, Redis, this process: the load generator and the in-process
 * fake) and the machine's busy time, read from /proc (Linux). A throughput goal on a small machine is a CPU
 * budget for all of them together: at 1,500 req/s, 2 cores leave 1,333 µs of CPU per request for every part.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { Redis } from 'ioredis';

/** Cumulative CPU seconds (user + system) per part, and of the whole machine (busy, all cores). */
export interface MachineCpu {
  orchestrator?: number;
  postgres?: number;
  redis?: number;
  loadGeneratorAndFake: number;
  machineBusy?: number;
  /** Time the hypervisor gave this machine's vCPUs to someone else while they had work (steal). */
  machineSteal?: number;
}

/** The processes to follow; a part whose server is not on this machine is left out. */
export interface MachineParts {
  orchestratorPid?: number;
  /** The postmaster: its CPU and its children's (the backends, the WAL writer, the checkpointer, …). */
  postgresPid?: number;
  redisPid?: number;
}

export function readMachineCpu(parts: MachineParts): MachineCpu {
  const own = process.cpuUsage();
  const cpu: MachineCpu = { loadGeneratorAndFake: (own.user + own.system) / 1e6 };
  const stats = parts.orchestratorPid !== undefined || parts.postgresPid !== undefined || parts.redisPid !== undefined ? processStats() : [];
  const cpuOf = (match: (s: ProcStat) => boolean) => stats.filter(match).reduce((sum, s) => sum + s.cpuSeconds, 0);
  if (parts.orchestratorPid !== undefined) cpu.orchestrator = cpuOf((s) => s.pid === parts.orchestratorPid);
  if (parts.postgresPid !== undefined) cpu.postgres = cpuOf((s) => s.pid === parts.postgresPid || s.ppid === parts.postgresPid);
  if (parts.redisPid !== undefined) cpu.redis = cpuOf((s) => s.pid === parts.redisPid);
  const machine = machineSeconds();
  if (machine) {
    cpu.machineBusy = machine.busy;
    cpu.machineSteal = machine.steal;
  }
  return cpu;
}

/** Per-request CPU of each part between two readings, in µs, and how busy the machine's cores were. */
export function machineCpuPerRequest(start: MachineCpu, end: MachineCpu, requests: number, seconds: number) {
  const per = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : Math.round(((b - a) * 1e6) / requests));
  const parts = {
    orchestrator: per(start.orchestrator, end.orchestrator),
    postgres: per(start.postgres, end.postgres),
    redis: per(start.redis, end.redis),
    load_generator_and_fake: per(start.loadGeneratorAndFake, end.loadGeneratorAndFake),
  };
  const total = per(start.machineBusy, end.machineBusy);
  const known = Object.values(parts).reduce<number>((sum, v) => sum + (v ?? 0), 0);
  return {
    ...Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)),
    ...(total !== undefined ? { total, other: total - known } : {}),
    ...(start.machineBusy !== undefined && end.machineBusy !== undefined ? { busy_percent: percentOfCores(end.machineBusy - start.machineBusy, seconds) } : {}),
    ...(start.machineSteal !== undefined && end.machineSteal !== undefined ? { steal_percent: percentOfCores(end.machineSteal - start.machineSteal, seconds) } : {}),
  } as { orchestrator?: number; postgres?: number; redis?: number; load_generator_and_fake: number; total?: number; other?: number; busy_percent?: number; steal_percent?: number };
}

function percentOfCores(cpuSeconds: number, seconds: number): number {
  return Math.round((100 * cpuSeconds) / (seconds * os.availableParallelism()));
}

/** The postmaster's pid, when the database runs on this machine (a backend's parent, named postgres). */
export async function localPostgresPid(databaseUrl: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = processStats().find((s) => s.pid === rows[0]?.pid);
    const postmaster = backend && processStats().find((s) => s.pid === backend.ppid);
    return postmaster?.comm.startsWith('postgres') ? postmaster.pid : undefined;
  } finally {
    await client.end();
  }
}

/** Redis's pid (INFO server), when that server runs on this machine. */
export async function localRedisPid(redisUrl: string): Promise<number | undefined> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    const pid = Number(/^process_id:(\d+)/m.exec(await client.info('server'))?.[1]);
    return processStats().find((s) => s.pid === pid && s.comm.startsWith('redis'))?.pid;
  } finally {
    client.disconnect();
  }
}

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  cpuSeconds: number;
}

/** Every process's pid, parent, name and CPU seconds (utime + stime), from /proc/<pid>/stat. */
function processStats(): ProcStat[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const stats: ProcStat[] = [];
  for (const pid of pids) {
    try {
      const parsed = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (parsed) stats.push(parsed);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return stats;
}

/** One /proc/<pid>/stat line; the name is in parentheses and may itself hold spaces or parentheses. */
export function parseProcStat(line: string): ProcStat | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After the name: state, ppid, … utime and stime are the 14th and 15th fields of the whole line.
  const fields = line.slice(close + 2).split(' ');
  return {
    pid: Number(line.slice(0, open)),
    ppid: Number(fields[1]),
    comm: line.slice(open + 1, close),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
  };
}

/**
 * The machine's CPU seconds over all cores from the `cpu` line of /proc/stat: busy (what ran here; idle,
 * iowait and steal excluded) and steal (what the hypervisor ran elsewhere while this machine had work).
 */
export function parseMachineCpu(procStat: string): { busy: number; steal: number } | undefined {
  const line = /^cpu\s+(.*)$/m.exec(procStat)?.[1];
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal (guest and guest_nice are already counted in user and nice)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).map(Number);
  return { busy: (user + nice + system + irq + softirq) / CLOCK_TICKS_PER_SECOND, steal: steal / CLOCK_TICKS_PER_SECOND };
}

function machineSeconds(): { busy: number; steal: number } | undefined {
  try {
    return parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

// USER_HZ: 100 on every Linux architecture Node.js runs on.
const CLOCK_TICKS_PER_SECOND = 100;
