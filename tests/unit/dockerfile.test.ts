import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE_NODE_OPTIONS, WORKLOADS } from '../../infra/names.js';

// The Dockerfile's logic, checked without a Docker daemon: what it copies exists and is in the build
// context, the build compiles every entry point the infra runs, the runtime is slim, non-root, on a Node
// LTS, with production dependencies only — and production code imports nothing from devDependencies.
interface Instruction {
  stage: string;
  op: string;
  args: string;
}

function instructions(): Instruction[] {
  const text = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ');
  let stage = '';
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((line) => {
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? '';
    return { stage, op: op!.toUpperCase(), args };
  });
}

const all = instructions();
const inStage = (stage: string, op: string) => all.filter((i) => i.stage === stage && i.op === op);
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return tsFiles(full);
    return full.endsWith('.ts') && !full.endsWith('.test.ts') && !full.endsWith('.d.ts') ? [full] : [];
  });
}

describe('Dockerfile', () => {
  it('builds in three stages from one Node LTS slim image', () => {
    expect(all.filter((i) => i.op === 'FROM').map((i) => i.args)).toEqual(['${NODE_IMAGE} AS build', '${NODE_IMAGE} AS deps', '${NODE_IMAGE} AS runtime']);
    const arg = all.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='))!;
    const major = Number(/^NODE_IMAGE=node:(\d+)-[a-z]+-slim$/.exec(arg.args)?.[1]);
    expect(major >= 22 && major % 2 === 0, arg.args).toBe(true);
  });

  it('copies only sources that exist and that .dockerignore lets into the build context', () => {
    const ignore = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = new Set(ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, '')));
    const sources = all.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) {
      const clean = src.replace(/\/$/, '');
      expect(existsSync(clean), `COPY ${src}`).toBe(true);
      expect(allowed, `.dockerignore must allow ${clean}`).toContain(clean);
    }
  });

  it('compiles every entry point the infra runs: their sources are copied into the build stage and in tsconfig.build.json', () => {
    const copied = inStage('build', 'COPY').map((i) => i.args.split(/\s+/)[0]!);
    const buildInclude = (JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { include: string[] }).include;
    expect(inStage('build', 'RUN').map((i) => i.args)).toContain('npx tsc -p tsconfig.build.json && rm -f dist/.tsbuildinfo');
    for (const w of Object.values(WORKLOADS)) {
      const source = w.entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      const top = source.split('/')[0]!;
      expect(existsSync(source), source).toBe(true);
      expect(copied, `${top} copied for ${w.name}`).toContain(top);
      expect(buildInclude, `${top} compiled for ${w.name}`).toContain(top);
    }
  });

  it('runs as a non-root user with production dependencies only, the compiled code, config and migrations', () => {
    expect(inStage('deps', 'RUN').map((i) => i.args).join(' ')).toContain('npm ci --omit=dev');
    const runtimeCopies = inStage('runtime', 'COPY').map((i) => i.args);
    expect(runtimeCopies).toContain('--from=deps /app/node_modules ./node_modules');
    expect(runtimeCopies).toContain('--from=build /app/dist ./dist');
    expect(runtimeCopies.some((c) => c.startsWith('--from=build /app/node_modules'))).toBe(false);
    for (const dir of ['config', 'migrations']) expect(runtimeCopies).toContain(`${dir} ./${dir}`);
    const user = inStage('runtime', 'USER').at(-1)?.args;
    expect(user && user !== 'root' && user !== '0').toBe(true);
    expect(inStage('runtime', 'CMD').at(-1)?.args).toBe(`["node", "${WORKLOADS.orchestrator.entry}"]`);
  });

  it('production code imports only packages from dependencies (npm ci --omit=dev leaves nothing else)', () => {
    const offenders: string[] = [];
    const seen = new Set<string>();
    for (const file of ['shared', 'services', 'jobs'].flatMap(tsFiles)) {
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^'.][^']*)'|import\(\s*'([^'.][^']*)'\s*\)/gm)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('node:')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        seen.add(name);
        if (!(name in pkg.dependencies)) offenders.push(`${file}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
    expect([...seen]).toEqual(expect.arrayContaining(['fastify', 'pg', 'ioredis', '@google-cloud/pubsub', '@google/genai']));
  });

  it('gives its processes the node flags that npm start and the gateway bench run the orchestrator with', () => {
    const env = inStage('runtime', 'ENV').map((i) => i.args).join(' ');
    const nodeOptions = /\bNODE_OPTIONS=(\S+)/.exec(env)?.[1];
    expect(nodeOptions?.split(' ')).toEqual(IMAGE_NODE_OPTIONS);
    const start = (pkg as unknown as { scripts: Record<string, string> }).scripts.start!;
    expect(start).toContain(`node ${IMAGE_NODE_OPTIONS.join(' ')} ${WORKLOADS.orchestrator.entry}`);
  });
});
