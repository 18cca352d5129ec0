import { readFileSync } from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// infra/index.ts as `pulumi up` runs it: stack values arrive through Pulumi's config (structured ones as
// JSON text), the database password as a secret; under mocks, the exports resolve.
const resolve = <T>(o: pulumi.Output<T>) => new Promise<T>((done) => o.apply((v) => done(v)));

describe('infra/index.ts', () => {
  it('reads Pulumi.prod.yaml through pulumi.Config and exports what the pipeline and runbooks use', async () => {
    const stack = parse(readFileSync('infra/Pulumi.prod.yaml', 'utf8')) as { config: Record<string, unknown> };
    const config: Record<string, string> = { 'ai-orchestrator:dbPassword': 's3cret' };
    for (const [k, v] of Object.entries(stack.config)) config[k] = typeof v === 'string' ? v : JSON.stringify(v);
    process.env.PULUMI_CONFIG = JSON.stringify(config);
    process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(['ai-orchestrator:dbPassword']);
    const types: string[] = [];
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        types.push(args.type);
        const extra = args.type === 'gcp:cloudrunv2/service:Service' ? { uri: `https://${String(args.inputs.name)}.run.app` } : {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
      },
      call: (args) => (args.token.includes('getProjectServiceAccount') ? { emailAddress: 'gcs@x' } : { number: '1' }),
    }, 'ai-orchestrator', 'prod', false);

    const mod = (await import('../../infra/index.js')) as unknown as Record<string, pulumi.Output<string> | string>;
    expect(mod.image).toBe('europe-west1-docker.pkg.dev/melmastoon-ai-prod/ai-orchestrator/ai-orchestrator:bootstrap');
    expect(mod.pushAudience).toBe('https://ai.melmastoon.example/internal/pubsub/inference-requests');
    expect(await resolve(mod.orchestratorUrl as pulumi.Output<string>)).toBe('https://orchestrator.run.app');
    expect(await resolve(mod.replicaInstance as pulumi.Output<string>)).toBe('ai-orchestrator-prod-replica');
    await pulumi.runtime.disconnect();
    expect(types.filter((t) => t === 'gcp:cloudrunv2/job:Job')).toHaveLength(4);
  });
});
