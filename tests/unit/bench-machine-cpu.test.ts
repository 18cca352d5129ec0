import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { machineCpuPerRequest, parseMachineCpu, parseProcStat } from '../../bench/machine-cpu.js';

// The gateway bench's CPU breakdown by part of the machine: the /proc readings it rests on.
describe('bench machine CPU', () => {
  it('reads pid, parent, name and CPU seconds from a stat line, whatever the name holds', () => {
    // utime 250 and stime 50 ticks (USER_HZ 100): 3 s.
    const line = '4242 (postgres: wal (writer)) S 1234 4242 4242 0 -1 4194368 130 0 0 0 250 50 0 0 20 0 1 0 1877 225472512 1714';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 1234, comm: 'postgres: wal (writer)', cpuSeconds: 3 });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('counts user, nice, system, irq and softirq as busy; idle and iowait as not; steal apart', () => {
    const stat = 'cpu  48383 7 10526 64321 1140 3 1695 2612 0 0\ncpu0 23880 0 4789 33443 239 0 705 1248 0 0\n';
    const cpu = parseMachineCpu(stat);
    expect(cpu?.busy).toBeCloseTo((48383 + 7 + 10526 + 3 + 1695) / 100, 6);
    expect(cpu?.steal).toBeCloseTo(26.12, 6);
    expect(parseMachineCpu('intr 1 2 3')).toBeUndefined();
  });

  it('gives each part its µs per request, and what no part accounts for as other', () => {
    const start = { orchestrator: 10, postgres: 5, redis: 1, loadGeneratorAndFake: 3, machineBusy: 100, machineSteal: 1 };
    const end = { orchestrator: 11, postgres: 5.25, redis: 1.1, loadGeneratorAndFake: 3.25, machineBusy: 101.8, machineSteal: 1.02 };
    const cores = os.availableParallelism();
    expect(machineCpuPerRequest(start, end, 1000, 1)).toEqual({
      orchestrator: 1000,
      postgres: 250,
      redis: 100,
      load_generator_and_fake: 250,
      total: 1800,
      other: 200,
      busy_percent: Math.round(180 / cores),
      steal_percent: Math.round(2 / cores),
    });
    // A part that is not on this machine (a remote database) is left out rather than shown as zero.
    expect(machineCpuPerRequest({ loadGeneratorAndFake: 0 }, { loadGeneratorAndFake: 0.5 }, 1000, 1)).toEqual({ load_generator_and_fake: 500 });
  });
});
