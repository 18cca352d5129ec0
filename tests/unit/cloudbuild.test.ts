import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SMOKE_TEST_SECRET_ID, WORKLOADS } from '../../infra/names.js';

// cloudbuild.yaml parses, and everything it names exists: npm scripts, script files, images, jobs, secrets.
interface Step {
  id: string;
  name: string;
  entrypoint?: string;
  args?: string[];
  env?: string[];
  secretEnv?: string[];
  waitFor?: string[];
}
interface Build {
  substitutions: Record<string, string>;
  steps: Step[];
  availableSecrets: { secretManager: Array<{ versionName: string; env: string }> };
  serviceAccount: string;
  options: Record<string, unknown>;
}

const raw = readFileSync('cloudbuild.yaml', 'utf8');
const build = parse(raw) as Build;
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
const ids = build.steps.map((s) => s.id);
const index = (id: string) => ids.indexOf(id);
const stepText = (s: Step) => [s.entrypoint ?? '', ...(s.args ?? [])].join(' ');
const BUILDER_IMAGES = new Set(['gcr.io/cloud-builders/docker', 'gcr.io/google.com/cloudsdktool/cloud-sdk:slim']);

describe('cloudbuild.yaml', () => {
  it('parses into uniquely named steps whose waitFor names earlier steps', () => {
    expect(build.steps.length).toBeGreaterThan(10);
    expect(new Set(ids).size).toBe(ids.length);
    build.steps.forEach((s, i) => {
      for (const dep of s.waitFor ?? []) expect(ids.slice(0, i), `${s.id} waits for ${dep}`).toContain(dep);
    });
  });

  it('uses only known builder images and a Node LTS image that the code supports (>= 20)', () => {
    for (const s of build.steps) {
      const node = /^node:(\d+)-bookworm$/.exec(s.name);
      if (node) expect(Number(node[1]) % 2 === 0 && Number(node[1]) >= 22, s.name).toBe(true);
      else expect(BUILDER_IMAGES, `${s.id}: ${s.name}`).toContain(s.name);
    }
  });

  it('runs only npm scripts that package.json declares', () => {
    const npmSteps = build.steps.filter((s) => s.entrypoint === 'npm');
    expect(npmSteps.map((s) => s.args?.join(' '))).toEqual(['ci --no-audit --no-fund', 'run lint', 'run typecheck', 'test']);
    for (const s of npmSteps) {
      const [verb, script] = s.args ?? [];
      if (verb === 'run') expect(pkg.scripts, `npm run ${script}`).toHaveProperty(script!);
      if (verb === 'test') expect(pkg.scripts).toHaveProperty('test');
    }
  });

  it('references only script files that exist, and every shell script is valid bash', () => {
    const files = [...new Set([...raw.matchAll(/scripts\/[\w./-]+\.(?:sh|ts)/g)].map((m) => m[0]))];
    expect(files.sort()).toEqual(['scripts/ci/gate.sh', 'scripts/ci/rollout-mark.sh', 'scripts/ci/rollout.sh', 'scripts/smoke-test.ts']);
    for (const f of files) expect(existsSync(f), f).toBe(true);
    const gate = readFileSync('scripts/ci/gate.sh', 'utf8');
    expect(gate).toContain('scripts/ci/error-rate.ts');
    expect(existsSync('scripts/ci/error-rate.ts')).toBe(true);
    for (const f of [...files, 'scripts/ci/gate.sh'].filter((x) => x.endsWith('.sh'))) execFileSync('bash', ['-n', f]);
  });

  it('defines every substitution it uses and uses every one it defines', () => {
    const used = new Set([...raw.matchAll(/\$\{(_[A-Z_]+)\}/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(Object.keys(build.substitutions).sort());
    expect(build.substitutions._IMAGE).toBe('${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_REPOSITORY}/ai-orchestrator:${_IMAGE_TAG}');
    expect(build.options.dynamicSubstitutions).toBe(true);
  });

  it('builds and pushes the image to Artifact Registry before anything is deployed', () => {
    const buildStep = build.steps[index('build-image')]!;
    expect(buildStep.args).toEqual(expect.arrayContaining(['build', '--tag', '${_IMAGE}', '.']));
    expect(build.steps[index('push-image')]!.args).toEqual(['push', '${_IMAGE}']);
    expect(buildStep.waitFor).toEqual(['lint', 'typecheck', 'test']);
    expect(index('push-image')).toBeLessThan(index('migrate'));
  });

  it('releases in order: migrations, no-traffic canary, smoke test, 10 → 50 → 100 % with a gate after each, rollback, then the rest', () => {
    const order = ['migrate', 'record-stable', 'deploy-canary', 'smoke-test', 'traffic-10', 'gate-10', 'traffic-50', 'gate-50', 'traffic-100', 'gate-100', 'rollback', 'update-jobs-and-signer'];
    expect(order.map(index)).toEqual([...order.map(index)].sort((a, b) => a - b));
    expect(order.every((id) => index(id) >= 0)).toBe(true);
    expect(stepText(build.steps[index('deploy-canary')]!)).toContain('deploy-canary ${_IMAGE}');
    for (const p of ['10', '50', '100']) {
      expect(build.steps[index(`traffic-${p}`)]!.args).toEqual(['scripts/ci/rollout.sh', 'shift', p]);
      expect(build.steps[index(`gate-${p}`)]!.args?.slice(0, 2)).toEqual(['scripts/ci/gate.sh', p]);
    }
    expect(build.steps[index('rollback')]!.args).toEqual(['scripts/ci/rollout.sh', 'rollback-if-failed']);
    expect(stepText(build.steps[index('smoke-test')]!)).toContain('scripts/smoke-test.ts --url "https://canary.${_DOMAIN}"');
    expect(stepText(build.steps[index('smoke-test')]!)).toContain('rollout-mark.sh');
  });

  it('names only jobs and services the infra program creates', () => {
    const names = new Set(Object.values(WORKLOADS).map((w) => w.name));
    const named = [
      ...[...raw.matchAll(/update-job (\S+) /g)].map((m) => m[1]!),
      ...[...raw.matchAll(/run-job (\S+?)['\s]/g)].map((m) => m[1]!),
      ...[...raw.matchAll(/for job in ([a-z -]+); do/g)].flatMap((m) => m[1]!.trim().split(/\s+/)),
      ...[...raw.matchAll(/deploy-service (\S+) /g)].map((m) => m[1]!),
    ].filter((n) => !n.startsWith('"$$'));
    expect(named.sort()).toEqual(['budget-resetter', 'eval-runner', 'manifest-signer', 'migrate', 'migrate', 'rag-ingestor']);
    for (const n of named) expect(names, n).toContain(n);
  });

  it('reads the smoke-test token from the secret infra creates, and runs as the deployer identity', () => {
    expect(build.availableSecrets.secretManager).toEqual([{ versionName: `projects/\${PROJECT_ID}/secrets/${SMOKE_TEST_SECRET_ID}/versions/latest`, env: 'SMOKE_TEST_TOKEN' }]);
    expect(build.steps.filter((s) => s.secretEnv).map((s) => [s.id, s.secretEnv])).toEqual([['smoke-test', ['SMOKE_TEST_TOKEN']]]);
    expect(build.serviceAccount).toBe('projects/${PROJECT_ID}/serviceAccounts/deployer@${PROJECT_ID}.iam.gserviceaccount.com');
  });

  it('deploys entry points that exist as TypeScript sources', () => {
    for (const w of Object.values(WORKLOADS)) {
      const source = w.entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(source), source).toBe(true);
    }
  });
});
