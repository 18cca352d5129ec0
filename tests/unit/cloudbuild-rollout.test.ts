import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';

// scripts/ci/rollout.sh (and the gate helpers) driven through a canary release against a stand-in `gcloud`
// on PATH: a small script that keeps the service's traffic split in a JSON file and logs every call.
const run = promisify(execFile);
const repo = process.cwd();

// The stand-in answers the exact invocations rollout.sh makes: describe (flattened traffic as CSV),
// deploy (a new revision tagged canary with 0 %), update-traffic (--to-revisions REV=N,…).
const FAKE_GCLOUD = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
const dir = process.env.FAKE_STATE;
fs.appendFileSync(path.join(dir, 'calls.log'), args.join(' ') + '\\n');
const file = path.join(dir, 'service.json');
const svc = JSON.parse(fs.readFileSync(file, 'utf8'));
const save = () => fs.writeFileSync(file, JSON.stringify(svc));
const cmd = args.slice(0, 3).join(' ');
if (cmd === 'run services describe') {
  if (!args.includes('--flatten=status.traffic')) process.exit(2);
  for (const t of svc.status.traffic) {
    console.log([t.revisionName ?? '', t.percent ?? '', t.tag ?? '', t.latestRevision ? 'True' : '', svc.status.latestReadyRevisionName].join(','));
  }
} else if (cmd === 'run deploy orchestrator') {
  if (fs.existsSync(path.join(dir, 'deploy-fails'))) { console.error('deploy failed'); process.exit(1); }
  // Like gcloud with --no-traffic: a target following "latest" is pinned to the revision it served.
  for (const t of svc.status.traffic) {
    delete t.tag;
    if (t.latestRevision) { t.revisionName = svc.status.latestReadyRevisionName; delete t.latestRevision; }
  }
  svc.status.traffic.push({ revisionName: 'orchestrator-00002-new', percent: 0, tag: 'canary' });
  svc.status.latestReadyRevisionName = 'orchestrator-00002-new';
  save();
} else if (cmd === 'run services update-traffic') {
  const want = Object.fromEntries(args[args.indexOf('--to-revisions') + 1].split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  for (const t of svc.status.traffic) t.percent = want[t.revisionName] ?? 0;
  save();
}
`;

let dir: string;
let env: NodeJS.ProcessEnv;
const sh = (script: string, ...args: string[]) => run('bash', [path.join(repo, script), ...args], { cwd: dir, env });
const traffic = () =>
  Object.fromEntries(
    (JSON.parse(readFileSync(path.join(dir, 'state/service.json'), 'utf8')) as { status: { traffic: Array<{ revisionName?: string; percent: number }> } }).status.traffic.map((t) => [t.revisionName ?? 'LATEST', t.percent]),
  );
const calls = () => readFileSync(path.join(dir, 'state/calls.log'), 'utf8').trim().split('\n');

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rollout-'));
  const bin = path.join(dir, 'bin');
  const state = path.join(dir, 'state');
  for (const d of [bin, state]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(bin, 'gcloud'), FAKE_GCLOUD);
  chmodSync(path.join(bin, 'gcloud'), 0o755);
  // As Pulumi creates it: 100 % to the latest revision (no revision name on the traffic target).
  writeFileSync(path.join(state, 'service.json'), JSON.stringify({ status: { latestReadyRevisionName: 'orchestrator-00001-old', traffic: [{ latestRevision: true, percent: 100 }] } }));
  writeFileSync(path.join(state, 'calls.log'), '');
  env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_STATE: state, REGION: 'europe-west1' };
});

describe('scripts/ci/rollout.sh', { timeout: 90_000 }, () => {
  it('deploys a no-traffic canary and shifts 10 → 50 → 100 % between it and the stable revision', async () => {
    await sh('scripts/ci/rollout.sh', 'record-stable');
    await sh('scripts/ci/rollout.sh', 'deploy-canary', 'europe-west1-docker.pkg.dev/p/r/ai-orchestrator:abc123');
    expect(traffic()).toEqual({ 'orchestrator-00001-old': 100, 'orchestrator-00002-new': 0 });
    expect(calls()).toContain('run deploy orchestrator --image europe-west1-docker.pkg.dev/p/r/ai-orchestrator:abc123 --region europe-west1 --no-traffic --tag canary --quiet');
    await sh('scripts/ci/rollout.sh', 'shift', '10');
    expect(traffic()).toEqual({ 'orchestrator-00001-old': 90, 'orchestrator-00002-new': 10 });
    await sh('scripts/ci/rollout.sh', 'shift', '50');
    expect(traffic()).toEqual({ 'orchestrator-00001-old': 50, 'orchestrator-00002-new': 50 });
    await sh('scripts/ci/rollout.sh', 'shift', '100');
    expect(traffic()).toEqual({ 'orchestrator-00001-old': 0, 'orchestrator-00002-new': 100 });
    const done = await sh('scripts/ci/rollout.sh', 'rollback-if-failed');
    expect(done.stdout).toContain('rollout complete: orchestrator-00002-new serves 100 %');
  });

  it('after a failed gate, skips the remaining shifts and rolls back to the stable revision, failing the build', async () => {
    await sh('scripts/ci/rollout.sh', 'record-stable');
    await sh('scripts/ci/rollout.sh', 'deploy-canary', 'img:abc');
    await sh('scripts/ci/rollout.sh', 'shift', '10');
    await sh('scripts/ci/rollout-mark.sh', 'error rate of the canary above 0.02 at 10 % traffic');
    await sh('scripts/ci/rollout-mark.sh', 'a later reason does not replace the first');
    const skipped = await sh('scripts/ci/rollout.sh', 'shift', '50');
    expect(skipped.stdout).toContain('skipped: error rate of the canary above 0.02 at 10 % traffic');
    expect(traffic()).toEqual({ 'orchestrator-00001-old': 90, 'orchestrator-00002-new': 10 });
    const gate = await sh('scripts/ci/gate.sh', '50', 'p', 'europe-west1', '0', '0.02');
    expect(gate.stdout).toContain('skipped:');
    await expect(sh('scripts/ci/rollout.sh', 'rollback-if-failed')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('rolling back (error rate of the canary above 0.02 at 10 % traffic)') });
    expect(traffic()).toEqual({ 'orchestrator-00001-old': 100, 'orchestrator-00002-new': 0 });
  });

  it('fails when the deploy fails, before any traffic moves', async () => {
    await sh('scripts/ci/rollout.sh', 'record-stable');
    writeFileSync(path.join(dir, 'state/deploy-fails'), '');
    await expect(sh('scripts/ci/rollout.sh', 'deploy-canary', 'img:abc')).rejects.toMatchObject({ code: 1 });
    expect(readFileSync(path.join(dir, '.rollout/stable'), 'utf8').trim()).toBe('orchestrator-00001-old');
    expect(existsSync(path.join(dir, '.rollout/canary'))).toBe(false);
    expect(traffic()).toEqual({ LATEST: 100 });
  });

  it('rejects an unknown command with its usage', async () => {
    await expect(sh('scripts/ci/rollout.sh', 'promote')).rejects.toMatchObject({ code: 64, stderr: expect.stringContaining('rollout.sh shift PERCENT') });
  });
});
