import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintDevToken } from '../../shared/auth/index.js';
import { signPushToken, ensurePushKeys, EMBEDDED_PUSH_AUDIENCE, EMBEDDED_PUSH_EMAIL } from '../../shared/auth/push-token.js';
import { loadConfig } from '../../shared/config/index.js';
import { eventually, startService, type RunningService } from '../support/service.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { pushEnvelope } from '../fakes/pubsub-push-envelope.js';

const run = promisify(execFile);

/**
 * The async path of the built service as a process, embedded push auth (no PUSH_AUTH_*): the sample
 * publisher script pushes a command signed with the push key in DATA_DIR, the draft lands in review,
 * a reviewer approves it over HTTP; the relay publishes the events on the in-process bus.
 */
describe('async inference and review, end to end (npm run inference:publish-sample)', () => {
  const tenant = `t-e2e-async-${randomBytes(3).toString('hex')}`;
  const config = loadConfig({ env: { APP_ENV: 'test' } });
  let db: TestDatabase;
  let svc: RunningService;
  const token = (scope: string) => mintDevToken({ dataDir: svc.dataDir, tenant, scope, issuer: config.auth.issuer, audience: config.auth.audience, subject: 'reviewer-e2e' });

  beforeAll(async () => {
    db = await testDatabase();
    svc = await startService({ env: { DATABASE_URL: db.url, REDIS_URL: inject('redisUrl') ?? '' } });
  });
  afterAll(async () => {
    await svc?.stop();
    await db?.close();
  });

  it('publishes a sample command; the draft waits for review; approving it releases the output', async () => {
    // A tenant is known once a call of it was authenticated (the README's quick start does this).
    const warmUp = await fetch(`${svc.url}/v1/capabilities/reservation.upsell_offer/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('ai.invoke')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: { reservation: { room_type: 'double', nights: 2, guests: 2, arrival_date: '2026-12-24' }, guest: { tier: 'gold' } } }),
    });
    expect(warmUp.status).toBe(200);

    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/publish-sample-command.ts', '--url', svc.url, '--tenant', tenant, '--reply-to', 'corr-e2e'], {
      env: { ...process.env, APP_ENV: 'test', DATA_DIR: svc.dataDir },
    });
    const printed = JSON.parse(stdout) as { status: number; answer: { outcome: string }; request_id: string };
    expect(printed).toMatchObject({ status: 200, answer: { outcome: 'completed' } });

    // The relay publishes the result and the review task's events on the in-process bus.
    await eventually(async () => svc.logs.some((l) => l.message === 'event published' && l.event_type === 'hitl.task_created' && l.tenant_id === tenant));
    const { rows } = await db.pool.query<{ payload: { correlation_id?: string } }>(`SELECT payload FROM outbox WHERE ordering_key = $1 AND event_type = 'inference.completed' AND payload->>'correlation_id' = 'corr-e2e'`, [tenant]);
    expect(rows).toHaveLength(1);

    const list = (await (await fetch(`${svc.url}/v1/hitl/tasks?status=pending`, { headers: { authorization: `Bearer ${await token('hitl.review')}` } })).json()) as { tasks: Array<{ task_id: string; correlation_id: string; draft: unknown }> };
    expect(list.tasks).toHaveLength(1);
    expect(list.tasks[0]!.correlation_id).toBe('corr-e2e');
    const approved = await fetch(`${svc.url}/v1/hitl/tasks/${list.tasks[0]!.task_id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${await token('hitl.review')}` } });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'approved', output: list.tasks[0]!.draft, decided_by: 'reviewer-e2e' });
    await eventually(async () => svc.logs.some((l) => l.message === 'event published' && l.event_type === 'hitl.task_decided' && l.tenant_id === tenant));
  });

  it('the push endpoint refuses a token for another audience (401) and one from another key (401)', async () => {
    const keys = await ensurePushKeys(svc.dataDir);
    const post = (bearer: string) =>
      fetch(`${svc.url}/internal/pubsub/inference-requests`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(pushEnvelope({ data: { hello: 'x' } })) });
    const wrongAudience = await post(await signPushToken(keys.privateJwk, { audience: 'https://elsewhere.example', email: EMBEDDED_PUSH_EMAIL }));
    expect(wrongAudience.status).toBe(401);
    const otherKeys = await ensurePushKeys(`${svc.dataDir}/other`);
    const otherKey = await post(await signPushToken(otherKeys.privateJwk, { audience: EMBEDDED_PUSH_AUDIENCE, email: EMBEDDED_PUSH_EMAIL }));
    expect(otherKey.status).toBe(401);
    expect(await otherKey.json()).toMatchObject({ code: 'token_signature_invalid' });
  });
});
