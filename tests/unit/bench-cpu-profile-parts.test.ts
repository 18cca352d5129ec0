import { describe, expect, it } from 'vitest';
import { busiestWindow, ownerOf, parseProfileArgs, partOf, sharesByPart, type CpuProfile } from '../../bench/cpu-profile-parts.js';

// The gateway bench's "where the time goes": a V8 CPU profile summed by part of the call.
describe('bench CPU profile by part', () => {
  it('names the npm package or repository folder a script belongs to, and nobody for Node’s own library', () => {
    expect(ownerOf('file:///srv/app/node_modules/ioredis/built/Redis.js')).toBe('ioredis');
    expect(ownerOf('file:///srv/app/node_modules/@google/genai/dist/node/index.mjs')).toBe('@google/genai');
    expect(ownerOf('file:///srv/app/node_modules/pino/node_modules/sonic-boom/index.js')).toBe('sonic-boom');
    expect(ownerOf('file:///srv/app/dist/shared/budgets/counters/redis.js')).toBe('shared/budgets');
    expect(ownerOf('file:///srv/app/shared/inference/invoke.ts')).toBe('shared/inference');
    expect(ownerOf('file:///srv/app/dist/bench/floor/gateway-process.js')).toBe('bench/floor');
    expect(ownerOf('node:internal/streams/readable')).toBeUndefined();
    expect(ownerOf('wasm://wasm/00034eea')).toBeUndefined();
    expect(ownerOf('')).toBeUndefined();
  });

  it('puts packages and folders in their part, sub-folders included; anything else is its own part', () => {
    expect(partOf('rate-limiter-flexible')).toMatch(/^Redis steps/);
    expect(partOf('shared/budgets')).toMatch(/^Redis steps/);
    expect(partOf('openai')).toMatch(/^provider call/);
    expect(partOf('services/orchestrator')).toMatch(/^HTTP serving/);
    expect(partOf('left-pad')).toBe('left-pad');
  });

  // A stack: (root) → ioredis → writev (native); (root) → the budget gate; (root) → a Node timer alone.
  const nodes: CpuProfile['nodes'] = [
    { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [2, 3, 4, 5, 6] },
    { id: 2, callFrame: { functionName: '(idle)', url: '' } },
    { id: 3, callFrame: { functionName: '(garbage collector)', url: '' } },
    { id: 4, callFrame: { functionName: 'sendCommand', url: 'file:///app/node_modules/ioredis/built/Redis.js' }, children: [7] },
    { id: 5, callFrame: { functionName: 'reserve', url: 'file:///app/dist/shared/budgets/gate.js' } },
    { id: 6, callFrame: { functionName: 'listOnTimeout', url: 'node:internal/timers' } },
    { id: 7, callFrame: { functionName: 'writev', url: '' } },
  ];
  // Samples every 100 µs: 10 idle, then 10 busy (4 writev under ioredis, 2 in the gate, 2 GC, 2 timers), then 10 idle.
  const busy = [7, 7, 4, 7, 5, 5, 3, 3, 6, 6];
  const profile: CpuProfile = { nodes, startTime: 0, samples: [...Array(10).fill(2), ...busy, ...Array(10).fill(2)], timeDeltas: Array(30).fill(100) };

  it('finds the busiest window of the profile', () => {
    expect(busiestWindow(profile, 900)).toEqual([10, 19]);
  });

  it('sums the busiest window by part, native and Node frames counted for the package that called them, idle left out', () => {
    // 1,100 µs: the window also holds the two idle samples before the busy stretch, which must not count.
    expect(busiestWindow(profile, 1100)).toEqual([8, 19]);
    const shares = Object.fromEntries(sharesByPart(profile, 0.0011).map((s) => [s.part, Number(s.share.toFixed(6))]));
    expect(shares).toEqual({
      [partOf('ioredis')]: 0.6,
      'garbage collector': 0.2,
      "Node's own library, nothing else on the stack": 0.2,
    });
  });

  it('gives nothing for a profile without busy samples', () => {
    expect(sharesByPart({ ...profile, samples: Array(30).fill(2) })).toEqual([]);
  });

  it('reads its command line, and refuses one it cannot use', () => {
    expect(parseProfileArgs(['a.cpuprofile'])).toEqual({ file: 'a.cpuprofile', windowSeconds: 10 });
    expect(parseProfileArgs(['--window', '5', 'a.cpuprofile', '--per-call-us', '768', '--json'])).toEqual({ file: 'a.cpuprofile', windowSeconds: 5, perCallUs: 768 });
    expect(parseProfileArgs([])).toBeUndefined();
    expect(parseProfileArgs(['a.cpuprofile', '--window', '0'])).toBeUndefined();
    expect(parseProfileArgs(['a.cpuprofile', '--per-call-us', 'x'])).toBeUndefined();
  });
});
