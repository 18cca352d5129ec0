import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEvalArgs } from '../../jobs/eval-runner/args.js';
import { parseIngestArgs } from '../../jobs/rag-ingestor/args.js';
import { CONFIG_ENV_VARS } from '../../shared/config/index.js';
import { AI_CALLS_FACT_SCHEMA } from '../../infra/components/ai-calls-transform.js';
import { edgeRules, MAX_SUBEXPRESSIONS, WAF_RULE_SETS } from '../../infra/components/edge.js';
import { PUSH_PATH, SERVICE_IDENTITIES, WORKLOADS, readTopicNames } from '../../infra/names.js';
import { buildStack, type BuiltStack, type RecordedResource } from '../../infra/testing/mocks.js';

// The Pulumi program under the runtime mocks, for both stacks: the properties the issue pins down.
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const T = {
  service: 'gcp:cloudrunv2/service:Service',
  job: 'gcp:cloudrunv2/job:Job',
  serviceIam: 'gcp:cloudrunv2/serviceIamMember:ServiceIamMember',
  jobIam: 'gcp:cloudrunv2/jobIamMember:JobIamMember',
  account: 'gcp:serviceaccount/account:Account',
  topic: 'gcp:pubsub/topic:Topic',
  subscription: 'gcp:pubsub/subscription:Subscription',
  secret: 'gcp:secretmanager/secret:Secret',
  secretIam: 'gcp:secretmanager/secretIamMember:SecretIamMember',
  sql: 'gcp:sql/databaseInstance:DatabaseInstance',
  redis: 'gcp:redis/instance:Instance',
  table: 'gcp:bigquery/table:Table',
  cryptoKey: 'gcp:kms/cryptoKey:CryptoKey',
  bucket: 'gcp:storage/bucket:Bucket',
  schedule: 'gcp:cloudscheduler/job:Job',
  policy: 'gcp:compute/securityPolicy:SecurityPolicy',
  neg: 'gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup',
  backend: 'gcp:compute/backendService:BackendService',
  forwardingRule: 'gcp:compute/globalForwardingRule:GlobalForwardingRule',
} as const;

class View {
  constructor(readonly built: BuiltStack) {}
  all(type: string): Any[] {
    return this.built.resources.filter((r: RecordedResource) => r.type === type).map((r) => r.inputs as Any);
  }
  one(type: string, name: string): Any {
    const found = this.all(type).filter((r) => r.name === name);
    expect(found, `${type} named ${name}`).toHaveLength(1);
    return found[0] as Any;
  }
  email(accountId: string): string {
    return `${accountId}@${this.built.settings.project}.iam.gserviceaccount.com`;
  }
  /** Every IAM member resource of any kind, with its role and member. */
  grants(): Array<{ type: string; role: string; member: string; on: Any }> {
    return this.built.resources
      .filter((r) => typeof r.inputs.role === 'string' && typeof r.inputs.member === 'string')
      .map((r) => ({ type: r.type, role: r.inputs.role as string, member: r.inputs.member as string, on: r.inputs as Any }));
  }
  container(workload: { name: string; kind: 'service' | 'job' }): Any {
    const resource = workload.kind === 'service' ? this.one(T.service, workload.name) : this.one(T.job, workload.name);
    return workload.kind === 'service' ? resource.template.containers[0] : resource.template.template.containers[0];
  }
}

let staging: View;
let prod: View;
beforeAll(async () => {
  staging = new View(await buildStack('staging'));
  prod = new View(await buildStack('prod'));
});
const both = (): Array<[string, View]> => [['staging', staging], ['prod', prod]];

describe('Cloud Run services', () => {
  it('sizes the orchestrator as specified: 2 vCPU, 4 GiB, concurrency 40, 60 s, min 2/max 200 in prod, min 0 in staging', () => {
    for (const [env, v] of both()) {
      const svc = v.one(T.service, 'orchestrator');
      expect(svc.template.containers[0].resources.limits).toEqual({ cpu: '2', memory: '4Gi' });
      expect(svc.template.maxInstanceRequestConcurrency).toBe(40);
      expect(svc.template.timeout).toBe('60s');
      expect(svc.template.scaling).toEqual(env === 'prod' ? { minInstanceCount: 2, maxInstanceCount: 200 } : { minInstanceCount: 0, maxInstanceCount: 20 });
      expect(svc.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    }
  });

  it('sizes the orchestrator pools (calls, retrieval) so that every instance at full scale-out gets its connections', () => {
    for (const [, v] of both()) {
      const env = Object.fromEntries((v.container(WORKLOADS.orchestrator).envs as Any[]).map((e) => [e.name, e.value]));
      const [pool, searchPool] = [Number(env.DB_POOL_MAX), Number(env.RAG_SEARCH_POOL_MAX)];
      const { maxConnections } = v.built.settings.database;
      expect(pool).toBeGreaterThanOrEqual(2);
      expect(searchPool).toBeGreaterThanOrEqual(1);
      expect((pool + searchPool) * v.built.settings.orchestrator.maxInstances).toBeLessThanOrEqual(maxConnections - 50);
      expect(v.all(T.sql)[0]!.settings.databaseFlags).toEqual([{ name: 'max_connections', value: String(maxConnections) }]);
    }
    const prodEnv = Object.fromEntries((prod.container(WORKLOADS.orchestrator).envs as Any[]).map((e) => [e.name, e.value]));
    expect([prodEnv.DB_POOL_MAX, prodEnv.RAG_SEARCH_POOL_MAX]).toEqual(['5', '4']);
    // Everything else fits in the 50 connections kept out of the orchestrator's share (migrate uses one).
    const others = Object.values(WORKLOADS).filter((w) => w !== WORKLOADS.orchestrator && w !== WORKLOADS.migrate);
    const pools = others.map((w) => Number((prod.container(w).envs as Any[]).find((e) => e.name === 'DB_POOL_MAX')?.value));
    expect(pools.every((p) => Number.isInteger(p) && p > 0)).toBe(true);
    expect(pools.reduce((a, b) => a + b, 1)).toBeLessThanOrEqual(50);
  });

  it('probes the orchestrator: startup on /readyz, liveness on /healthz', () => {
    const c = prod.container(WORKLOADS.orchestrator);
    expect(c.startupProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.resources.cpuIdle).toBe(false);
  });

  it('runs the signer small, single and private: 1 vCPU, 1 GiB, concurrency 1, max 1, internal ingress', () => {
    for (const [, v] of both()) {
      const svc = v.one(T.service, 'manifest-signer');
      expect(svc.template.containers[0].resources.limits).toEqual({ cpu: '1', memory: '1Gi' });
      expect(svc.template.maxInstanceRequestConcurrency).toBe(1);
      expect(svc.template.scaling.maxInstanceCount).toBe(1);
      expect(svc.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');
      expect(svc.invokerIamDisabled).not.toBe(true);
      const env = Object.fromEntries((svc.template.containers[0].envs as Any[]).map((e) => [e.name, e.value]));
      expect(env.SIGNER_KMS_KEY).toBe(`projects/${v.built.settings.project}/locations/europe-west1/keyRings/ai-orchestrator/cryptoKeys/manifest-signer`);
      expect(env.SIGNER_KMS_PRIMARY_VERSION).toBe('1');
    }
  });

  it('lets no public principal invoke the signer; only the release pipeline (deployer) may', () => {
    for (const [, v] of both()) {
      const invokers = v.all(T.serviceIam).filter((m) => m.name === 'manifest-signer');
      expect(invokers.map((m) => m.member)).toEqual([`serviceAccount:${v.email(SERVICE_IDENTITIES.deployer)}`]);
      const publicGrants = v.grants().filter((g) => /^(allUsers|allAuthenticatedUsers)$/.test(g.member));
      expect(publicGrants.map((g) => `${g.type} ${g.on.name}`)).toEqual([`${T.serviceIam} orchestrator`]);
    }
  });

  it('runs each workload with its own service account and its own entry point of the one image', () => {
    for (const [, v] of both()) {
      const accounts = new Set<string>();
      for (const w of Object.values(WORKLOADS)) {
        const resource = w.kind === 'service' ? v.one(T.service, w.name) : v.one(T.job, w.name);
        const sa = w.kind === 'service' ? resource.template.serviceAccount : resource.template.template.serviceAccount;
        expect(sa).toBe(v.email(w.accountId));
        accounts.add(sa);
        const c = v.container(w);
        expect([...c.commands, ...c.args]).toEqual(['node', w.entry]);
        expect(c.image).toBe(`europe-west1-docker.pkg.dev/${v.built.settings.project}/ai-orchestrator/ai-orchestrator:bootstrap`);
      }
      expect(accounts.size).toBe(Object.keys(WORKLOADS).length);
    }
  });
});

describe('Cloud Run jobs', () => {
  it('gives the eval runner 4 vCPU, 8 GiB and 3600 s; migrations, RAG ingestor and budget resetter exist', () => {
    const evalJob = prod.one(T.job, 'eval-runner');
    expect(evalJob.template.template.containers[0].resources.limits).toEqual({ cpu: '4', memory: '8Gi' });
    expect(evalJob.template.template.timeout).toBe('3600s');
    for (const name of ['migrate', 'rag-ingestor', 'budget-resetter']) prod.one(T.job, name);
    expect(prod.one(T.job, 'migrate').template.template.maxRetries).toBe(0);
  });
});

describe('identities and secrets', () => {
  it('grants roles/cloudkms.signer to exactly one identity, the signer, on the manifest key only', () => {
    for (const [, v] of both()) {
      // Every role that can sign with the key (or grant itself that), on any resource.
      const signing = v.grants().filter((g) => /^roles\/(cloudkms\.(signer|signerVerifier|admin)|owner|editor)$/.test(g.role));
      expect(signing.map((g) => [g.role, g.member, g.on.cryptoKeyId])).toEqual([
        ['roles/cloudkms.signer', `serviceAccount:${v.email(WORKLOADS.signer.accountId)}`, `projects/${v.built.settings.project}/locations/europe-west1/keyRings/ai-orchestrator/cryptoKeys/manifest-signer`],
      ]);
    }
  });

  it('uses an RSA-PSS signing key of 2048 bits or more, and rotates the CMEK data keys', () => {
    const keys = prod.all(T.cryptoKey);
    const signer = keys.find((k) => k.name === 'manifest-signer')!;
    expect(signer.purpose).toBe('ASYMMETRIC_SIGN');
    expect(signer.versionTemplate.algorithm).toMatch(/^RSA_SIGN_PSS_(2048|3072|4096)_SHA(256|512)$/);
    const data = keys.filter((k) => k.purpose === 'ENCRYPT_DECRYPT');
    expect(data).toHaveLength(2);
    for (const k of data) expect(k.rotationPeriod).toBe('7776000s');
  });

  it('lets each workload read exactly the secrets its environment references', () => {
    for (const [, v] of both()) {
      const reads = v.all(T.secretIam);
      for (const w of Object.values(WORKLOADS)) {
        const referenced = (v.container(w).envs as Any[]).flatMap((e) => (e.valueSource ? [e.valueSource.secretKeyRef.secret] : [])).sort();
        const granted = reads.filter((r) => r.member === `serviceAccount:${v.email(w.accountId)}`).map((r) => r.secretId).sort();
        expect(granted, w.name).toEqual(referenced);
        for (const r of reads) expect(r.role).toBe('roles/secretmanager.secretAccessor');
      }
      expect(v.grants().filter((g) => g.role === 'roles/secretmanager.secretAccessor' && g.type === 'gcp:projects/iAMMember:IAMMember').map((g) => g.on.condition?.title)).toEqual(['tenant-byok-secrets-only']);
    }
  });

  it('rotates the provider keys every 60 days through a notification topic', () => {
    for (const id of ['anthropic-api-key', 'openai-api-key']) {
      const secret = prod.all(T.secret).find((s) => s.secretId === id)!;
      expect(secret.rotation.rotationPeriod).toBe(`${60 * 86400}s`);
      expect(secret.topics).toHaveLength(1);
    }
  });

  it('sets only environment variables the service config reads', () => {
    const known = new Set(CONFIG_ENV_VARS);
    for (const [, v] of both()) {
      for (const w of Object.values(WORKLOADS)) {
        const unknown = (v.container(w).envs as Any[]).map((e) => e.name as string).filter((n) => !known.has(n));
        expect(unknown, w.name).toEqual([]);
      }
    }
  });
});

describe('data stores', () => {
  it('runs Cloud SQL Postgres 16 regional HA on private IP with CMEK, and a read replica in the failover region', () => {
    for (const [, v] of both()) {
      const [primary, replica, ...rest] = v.all(T.sql);
      expect(rest).toEqual([]);
      expect(primary!.databaseVersion).toBe('POSTGRES_16');
      expect(primary!.region).toBe('europe-west1');
      expect(primary!.settings.availabilityType).toBe('REGIONAL');
      expect(primary!.settings.ipConfiguration.ipv4Enabled).toBe(false);
      expect(primary!.settings.ipConfiguration.privateNetwork).toBeTruthy();
      expect(primary!.encryptionKeyName).toMatch(/europe-west1\/keyRings\/ai-orchestrator\/cryptoKeys\/data$/);
      expect(replica!.region).toBe('europe-west4');
      expect(replica!.masterInstanceName).toBe(primary!.name);
      expect(replica!.encryptionKeyName).toMatch(/europe-west4\/keyRings\/ai-orchestrator\/cryptoKeys\/data$/);
    }
  });

  it('runs Memorystore Redis 7, Standard tier, 5 GiB, on the private network', () => {
    const [redis] = prod.all(T.redis);
    expect(redis).toMatchObject({ tier: 'STANDARD_HA', memorySizeGb: 5, connectMode: 'PRIVATE_SERVICE_ACCESS', authEnabled: true });
    expect(redis!.redisVersion).toMatch(/^REDIS_7/);
  });

  it('partitions ai_calls_fact by day and clusters it by tenant and capability', () => {
    for (const [, v] of both()) {
      const [table, ...rest] = v.all(T.table);
      expect(rest).toEqual([]);
      expect(table!.tableId).toBe('ai_calls_fact');
      expect(table!.timePartitioning).toEqual({ type: 'DAY', field: 'event_time' });
      expect(table!.clusterings).toEqual(['tenant_id', 'capability_key']);
      const columns = (JSON.parse(table!.schema) as Array<{ name: string }>).map((c) => c.name);
      expect(columns).toEqual(AI_CALLS_FACT_SCHEMA.map((c) => c.name));
      expect(columns).toEqual(expect.arrayContaining(['event_time', 'tenant_id', 'capability_key']));
    }
  });

  it('keeps eval datasets versioned and archives them after a year; every bucket is CMEK and never public', () => {
    const buckets = prod.all(T.bucket);
    expect(buckets.map((b) => b.name).sort()).toEqual(['ai-desktop-snapshots', 'ai-eval-datasets', 'ai-model-artifacts', 'ai-rag-sources'].map((n) => `melmastoon-ai-prod-${n}`));
    const evalBucket = buckets.find((b) => String(b.name).endsWith('-ai-eval-datasets'))!;
    expect(evalBucket.versioning.enabled).toBe(true);
    expect(evalBucket.lifecycleRules).toContainEqual(expect.objectContaining({ condition: expect.objectContaining({ age: 365 }), action: { type: 'SetStorageClass', storageClass: 'ARCHIVE' } }));
    for (const b of buckets) {
      expect(b.publicAccessPrevention).toBe('enforced');
      expect(b.encryption.defaultKmsKeyName).toMatch(/cryptoKeys\/data$/);
    }
  });
});

describe('Pub/Sub', () => {
  const topics = readTopicNames();

  it('creates the four event topics and the command topic, each with a dead-letter topic that keeps its messages', () => {
    for (const [, v] of both()) {
      const names = v.all(T.topic).map((t) => t.name as string);
      for (const name of Object.values(topics)) {
        expect(names).toContain(name);
        expect(names).toContain(`${name}.dlq`);
        const hold = v.all(T.subscription).filter((s) => s.name === `${name}.dlq.hold`);
        expect(hold, `${name}.dlq.hold`).toHaveLength(1);
        expect(hold[0]!.topic).toBe(`projects/${v.built.settings.project}/topics/${name}.dlq`);
      }
    }
  });

  it('dead-letters every delivering subscription after 5 attempts', () => {
    for (const [, v] of both()) {
      const delivering = v.all(T.subscription).filter((s) => !String(s.name).endsWith('.dlq.hold'));
      expect(delivering).toHaveLength(2);
      for (const s of delivering) {
        expect(s.deadLetterPolicy.maxDeliveryAttempts).toBe(5);
        expect(s.deadLetterPolicy.deadLetterTopic).toBe(`${s.topic}.dlq`);
      }
    }
  });

  it('pushes commands to the orchestrator with an OIDC token of the push identity, which the orchestrator expects', () => {
    for (const [, v] of both()) {
      const push = v.all(T.subscription).find((s) => s.pushConfig)!;
      expect(push.topic).toBe(`projects/${v.built.settings.project}/topics/${topics.inferenceRequests}`);
      expect(push.pushConfig.pushEndpoint).toBe(`https://orchestrator-abc123-ew.a.run.app${PUSH_PATH}`);
      const pushEmail = v.email('pubsub-push-invoker');
      expect(push.pushConfig.oidcToken.serviceAccountEmail).toBe(pushEmail);
      const env = Object.fromEntries((v.container(WORKLOADS.orchestrator).envs as Any[]).map((e) => [e.name, e.value]));
      expect(env.PUSH_AUTH_EMAIL).toBe(pushEmail);
      expect(env.PUSH_AUTH_AUDIENCE).toBe(push.pushConfig.oidcToken.audience);
      // The push identity may do one thing: invoke the orchestrator.
      const its = v.grants().filter((g) => g.member === `serviceAccount:${pushEmail}`);
      expect(its.map((g) => [g.type, g.role, g.on.name])).toEqual([[T.serviceIam, 'roles/run.invoker', 'orchestrator']]);
    }
  });

  it('feeds ai_calls_fact from the inference events through a BigQuery subscription written by its own identity', () => {
    const bq = prod.all(T.subscription).find((s) => s.bigqueryConfig)!;
    expect(bq.topic).toBe(`projects/melmastoon-ai-prod/topics/${topics.inference}`);
    expect(bq.bigqueryConfig).toMatchObject({ table: 'melmastoon-ai-prod.ai_orchestrator.ai_calls_fact', useTableSchema: true, serviceAccountEmail: prod.email('bigquery-writer') });
    expect(bq.messageTransforms[0].javascriptUdf.functionName).toBe('toAiCallsFactRow');
    const writer = prod.grants().filter((g) => g.member === `serviceAccount:${prod.email('bigquery-writer')}`);
    expect(writer.map((g) => g.role)).toEqual(['roles/bigquery.dataEditor']);
  });

  it('lets only the orchestrator publish events', () => {
    const publishers = prod.grants().filter((g) => g.type === 'gcp:pubsub/topicIAMMember:TopicIAMMember' && !String(g.on.topic).endsWith('.dlq') && g.on.topic !== 'secret-rotation');
    expect(new Set(publishers.map((g) => g.member))).toEqual(new Set([`serviceAccount:${prod.email('orchestrator')}`]));
    expect(publishers.map((g) => g.on.topic).sort()).toEqual([topics.budget, topics.eval, topics.hitl, topics.inference].sort());
  });
});

describe('schedules', () => {
  const decode = (body: string) => JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as { overrides: { containerOverrides: Array<{ args: string[] }> } };

  it('runs the budget reset daily and at month start, one nightly eval per shipped dataset and the RAG syncs, as the scheduler identity', () => {
    for (const [, v] of both()) {
      const byName: Record<string, Any> = Object.fromEntries(v.all(T.schedule).map((j) => [j.name, j]));
      expect(Object.keys(byName).sort()).toEqual([
        'budget-reset-daily', 'budget-reset-monthly',
        'eval-nightly-guest-messaging', 'eval-nightly-policy-answers', 'eval-nightly-upsell',
        'rag-sync-melmastoon-policies',
      ]);
      expect(byName['budget-reset-daily']!.schedule).toBe('5 0 * * *');
      expect(byName['budget-reset-monthly']!.schedule).toMatch(/^\d+ 0 1 \* \*$/);
      expect(byName['rag-sync-melmastoon-policies']!.schedule).toBe('30 */6 * * *');
      const base = `https://run.googleapis.com/v2/projects/${v.built.settings.project}/locations/europe-west1/jobs/`;
      expect(byName['budget-reset-daily']!.httpTarget.uri).toBe(`${base}budget-resetter:run`);
      expect(byName['budget-reset-daily']!.httpTarget.body).toBeUndefined();
      expect(byName['eval-nightly-upsell']!.httpTarget.uri).toBe(`${base}eval-runner:run`);
      expect(byName['rag-sync-melmastoon-policies']!.httpTarget.uri).toBe(`${base}rag-ingestor:run`);
      for (const j of Object.values(byName)) expect(j.httpTarget.oauthToken.serviceAccountEmail).toBe(v.email('scheduler-invoker'));
      const schedulerGrants = v.grants().filter((g) => g.member === `serviceAccount:${v.email('scheduler-invoker')}`);
      expect(schedulerGrants.map((g) => `${g.role} ${g.on.name}`).sort()).toEqual([
        'roles/run.invoker budget-resetter', 'roles/run.jobsExecutorWithOverrides eval-runner', 'roles/run.jobsExecutorWithOverrides rag-ingestor',
      ]);
    }
  });

  it('passes each scheduled job arguments its own parser accepts, starting with the entry point', () => {
    const byName: Record<string, Any> = Object.fromEntries(prod.all(T.schedule).map((j) => [j.name, j]));
    const evalArgs = decode(byName['eval-nightly-upsell']!.httpTarget.body).overrides.containerOverrides[0]!.args;
    expect(evalArgs).toEqual([WORKLOADS.evalRunner.entry, '--dataset', 'evals/upsell.jsonl', '--requested-by', 'cloud-scheduler']);
    expect(parseEvalArgs(evalArgs.slice(1), {})).toMatchObject({ dataset: 'evals/upsell.jsonl', requestedBy: 'cloud-scheduler' });
    expect(existsSync(evalArgs[2]!)).toBe(true);
    const ragArgs = decode(byName['rag-sync-melmastoon-policies']!.httpTarget.body).overrides.containerOverrides[0]!.args;
    expect(ragArgs[0]).toBe(WORKLOADS.ragIngestor.entry);
    expect(parseIngestArgs(ragArgs.slice(1))).toMatchObject({ tenant: 'melmastoon', corpus: 'policies', source: 'gs://melmastoon-ai-prod-ai-rag-sources/melmastoon/policies/' });
    const reads = prod.grants().filter((g) => g.member === `serviceAccount:${prod.email('job-rag-ingestor')}` && g.type === 'gcp:storage/bucketIAMMember:BucketIAMMember');
    expect(reads.map((g) => [g.on.bucket, g.role])).toEqual([['melmastoon-ai-prod-ai-rag-sources', 'roles/storage.objectViewer']]);
  });
});

describe('edge', () => {
  it('fronts the orchestrator with an HTTPS load balancer, a serverless NEG and the Cloud Armor policy', () => {
    const negs = prod.all(T.neg);
    expect(negs.map((n) => [n.networkEndpointType, n.cloudRun.service, n.cloudRun.tag ?? null])).toEqual([
      ['SERVERLESS', 'orchestrator', null],
      ['SERVERLESS', 'orchestrator', 'canary'],
    ]);
    for (const b of prod.all(T.backend)) expect(b.securityPolicy).toBe('edge-policy-id');
    expect(prod.all(T.forwardingRule).map((r) => r.portRange).sort()).toEqual(['443', '80']);
  });

  it('rate-limits /admin/* per IP, allows only the configured countries, and applies the preconfigured WAF rules first', () => {
    const [policy] = prod.all(T.policy);
    const rules = (policy!.rules as Any[]).slice().sort((a, b) => a.priority - b.priority);
    const expr = (r: Any) => String(r.match.expr?.expression ?? '');
    const subexpressions = (r: Any) => (expr(r).match(/==|startsWith\(|evaluatePreconfiguredWaf\(/g) ?? []).length;
    for (const r of rules) expect(subexpressions(r), expr(r)).toBeLessThanOrEqual(MAX_SUBEXPRESSIONS);
    expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length);

    const codes = prod.built.settings.edge.allowedRegionCodes;
    const codesOf = (r: Any) => [...expr(r).matchAll(/origin\.region_code == '([A-Z]{2})'/g)].map((m) => m[1]);
    const throttles = rules.filter((r) => r.action === 'throttle');
    for (const t of throttles) {
      expect(expr(t)).toMatch(/^request\.path\.startsWith\('\/admin\/'\) && \(/);
      expect(t.rateLimitOptions).toMatchObject({ enforceOnKey: 'IP', conformAction: 'allow', exceedAction: 'deny(429)', rateLimitThreshold: { count: 60, intervalSec: 60 } });
    }
    expect(throttles.flatMap(codesOf).sort()).toEqual([...codes].sort());
    const allows = rules.filter((r) => r.action === 'allow');
    expect(allows.flatMap(codesOf).sort()).toEqual([...codes].sort());
    expect(rules.at(-1)).toMatchObject({ priority: 2147483647, action: 'deny(403)' });

    // Deny rules first: an allow or a throttle under its limit ends the evaluation.
    const waf = rules.filter((r) => expr(r).startsWith('evaluatePreconfiguredWaf'));
    expect(waf.map((r) => /'([a-z]+-v33-stable)'/.exec(expr(r))![1])).toEqual([...WAF_RULE_SETS]);
    const firstPermit = Math.min(...[...throttles, ...allows].map((r) => r.priority));
    for (const r of [...waf, rules.find((x) => expr(x).includes('/internal/'))!]) {
      expect(r.action).toMatch(/^deny/);
      expect(r.priority).toBeLessThan(firstPermit);
    }
  });

  it('without a geo allowlist: one admin throttle for everyone and a default allow', () => {
    const rules = edgeRules({ ...prod.built.settings, edge: { allowedRegionCodes: [], adminRequestsPerMinute: 30 } });
    expect(rules.filter((r) => r.action === 'throttle').map((r) => (r.match as Any).expr.expression)).toEqual(["request.path.startsWith('/admin/')"]);
    expect(rules.at(-1)).toMatchObject({ action: 'allow' });
  });

});
