/**
 * The whole topology of one environment (docs/deploy.md has the picture): identities, network, keys,
 * secrets, Cloud SQL, Memorystore, Pub/Sub, BigQuery, buckets, the Cloud Run services and jobs, the
 * schedules, the public edge, and what the pipeline needs. `index.ts` calls it with the stack's settings;
 * tests call it under Pulumi's mocks for both stacks.
 */
import path from 'node:path';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { ARTIFACT_IMAGE, PUSH_PATH, WORKLOADS, readEvalDatasets, readTopicNames } from './names.js';
import { orchestratorPoolSizes, type StackSettings } from './settings.js';
import { Analytics } from './components/analytics.js';
import { Buckets, grantBucket } from './components/buckets.js';
import { Cache } from './components/cache.js';
import { Database } from './components/database.js';
import { Delivery } from './components/delivery.js';
import { Edge } from './components/edge.js';
import { WorkloadEnv } from './components/environment.js';
import { Identities, member } from './components/identities.js';
import { Keys } from './components/keys.js';
import { Messaging } from './components/messaging.js';
import { Network } from './components/network.js';
import { RunJob } from './components/run-job.js';
import { RunService } from './components/run-service.js';
import { Schedules } from './components/scheduler.js';
import { grantSecretAccess, Secrets } from './components/secrets.js';

export interface InfrastructureInputs {
  settings: StackSettings;
  /** Password of the app's database user (stack secret `dbPassword`). */
  dbPassword: pulumi.Input<string>;
}

export interface Infrastructure {
  orchestratorUrl: pulumi.Output<string>;
  signerUrl: pulumi.Output<string>;
  edgeAddress: pulumi.Output<string>;
  image: string;
  registry: string;
  databaseInstance: pulumi.Output<string>;
  replicaInstance: pulumi.Output<string> | undefined;
  pushAudience: string;
}

/**
 * Connection pools of everything but the orchestrator, inside settings.RESERVED_CONNECTIONS (50): the
 * signer serves one request at a time, the eval runner runs 4 cases at once by default, the migrate job
 * uses one connection whatever it is given.
 */
export const SIDE_POOLS = { signer: 2, budgetResetter: 2, ragIngestor: 4, evalRunner: 8, migrate: 1 } as const;

export function createInfrastructure({ settings: s, dbPassword }: InfrastructureInputs): Infrastructure {
  const prod = s.environment === 'prod';
  const topicNames = readTopicNames();

  const ids = new Identities('identities', { project: s.project });
  const w = ids.workloads;
  const network = new Network('network', { settings: s });
  const keys = new Keys('keys', { settings: s });

  // Google service agents that encrypt with the data keys (CMEK) on our behalf.
  const sqlAgent = new gcp.projects.ServiceIdentity('sql-agent', { project: s.project, service: 'sqladmin.googleapis.com' });
  const storageAgent = gcp.storage.getProjectServiceAccountOutput({ project: s.project });
  const sqlCanEncrypt = [
    keys.grantEncrypterDecrypter('cmek-sql', keys.dataKey, sqlAgent.email),
    keys.grantEncrypterDecrypter('cmek-sql-failover', keys.failoverDataKey, sqlAgent.email),
  ];
  const storageCanEncrypt = keys.grantEncrypterDecrypter('cmek-storage', keys.dataKey, storageAgent.emailAddress);

  const secrets = new Secrets('secrets', { settings: s });
  const database = new Database('database', {
    settings: s,
    network: network.network.id,
    dataKey: keys.dataKey.id,
    failoverDataKey: keys.failoverDataKey.id,
    password: dbPassword,
    dependsOn: [network.privateServices, ...sqlCanEncrypt],
  });
  const cache = new Cache('cache', { settings: s, network: network.network.id, dependsOn: [network.privateServices] });
  const connectionUrls = [
    secrets.setValue('database-url-value', secrets.databaseUrl, database.url),
    secrets.setValue('redis-url-value', secrets.redisUrl, cache.url),
  ];

  const messaging = new Messaging('messaging', { settings: s, topicNames });
  const buckets = new Buckets('buckets', { settings: s, dataKey: keys.dataKey.id, dependsOn: [storageCanEncrypt] });
  const delivery = new Delivery('delivery', { settings: s, deployer: ids.identities.deployer, runtimeAccounts: w });
  const image = `${delivery.registry}/${ARTIFACT_IMAGE}:${s.imageTag}`;
  grantSecretAccess('deployer-reads-smoke-test-token', secrets.smokeTestToken, member(ids.identities.deployer), secrets);

  // --- environments: the config (shared/config/load.ts) requires the auth and push settings in every process.
  const pushAudience = `https://${s.domain}${PUSH_PATH}`;
  const base = () =>
    new WorkloadEnv()
      .set('APP_ENV', s.environment)
      .set('GOOGLE_CLOUD_PROJECT', s.project)
      .set('LOG_LEVEL', s.logLevel)
      .set('AUTH_ISSUER', s.auth.issuer)
      .set('AUTH_AUDIENCE', s.auth.audience)
      .set('AUTH_JWKS_URL', s.auth.jwksUrl)
      .set('PUSH_AUTH_AUDIENCE', pushAudience)
      .set('PUSH_AUTH_EMAIL', ids.identities.pushInvoker.email)
      .secret('DATABASE_URL', secrets.databaseUrl);
  const withProviders = (env: WorkloadEnv) =>
    env.set('VERTEX_LOCATION', s.region).secret('ANTHROPIC_API_KEY', secrets.anthropicApiKey).secret('OPENAI_API_KEY', secrets.openaiApiKey);

  const vpc = { network: network.network.id, subnetwork: network.subnet.id };
  const common = { project: s.project, region: s.region, image, vpc, deletionProtection: prod, dependsOn: connectionUrls };

  // --- services
  const pools = orchestratorPoolSizes(s.orchestrator.maxInstances, s.database.maxConnections);
  const orchestrator = new RunService('orchestrator', {
    ...common,
    spec: WORKLOADS.orchestrator,
    serviceAccount: w.orchestrator,
    env: withProviders(base())
      .secret('REDIS_URL', secrets.redisUrl)
      .set('PUBSUB_PROJECT', s.project)
      .set('SNAPSHOTS_BUCKET', buckets.desktopSnapshots.name)
      .set('DB_POOL_MAX', String(pools.main))
      .set('RAG_SEARCH_POOL_MAX', String(pools.search)),
    ...s.orchestrator,
    // Callers come through the load balancer (Cloud Armor); Pub/Sub push counts as internal traffic.
    ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
    // The outbox relay and flag refresh run between requests.
    alwaysOnCpu: true,
  });
  const signer = new RunService('manifest-signer', {
    ...common,
    spec: WORKLOADS.signer,
    serviceAccount: w.signer,
    env: base().set('SIGNER_KMS_KEY', keys.signerKey.id).set('SIGNER_KMS_PRIMARY_VERSION', String(s.signerKeyVersion)).set('DB_POOL_MAX', String(SIDE_POOLS.signer)),
    cpu: '1',
    memory: '1Gi',
    concurrency: 1,
    minInstances: 0,
    maxInstances: 1,
    timeoutSeconds: 60,
    ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
    alwaysOnCpu: false,
  });

  // --- jobs
  const jobs = {
    migrate: new RunJob('migrate', { ...common, spec: WORKLOADS.migrate, serviceAccount: w.migrate, env: base(), cpu: '1', memory: '1Gi', timeoutSeconds: 900, maxRetries: 0 }),
    budgetResetter: new RunJob('budget-resetter', {
      ...common,
      spec: WORKLOADS.budgetResetter,
      serviceAccount: w.budgetResetter,
      env: base().secret('REDIS_URL', secrets.redisUrl).set('DB_POOL_MAX', String(SIDE_POOLS.budgetResetter)),
      cpu: '1',
      memory: '1Gi',
      timeoutSeconds: 900,
      maxRetries: 3,
    }),
    ragIngestor: new RunJob('rag-ingestor', {
      ...common,
      spec: WORKLOADS.ragIngestor,
      serviceAccount: w.ragIngestor,
      env: base().set('VERTEX_LOCATION', s.region).set('DB_POOL_MAX', String(SIDE_POOLS.ragIngestor)),
      cpu: '2',
      memory: '4Gi',
      timeoutSeconds: 3600,
      maxRetries: 1,
    }),
    evalRunner: new RunJob('eval-runner', {
      ...common,
      spec: WORKLOADS.evalRunner,
      serviceAccount: w.evalRunner,
      env: withProviders(base()).secret('REDIS_URL', secrets.redisUrl).set('DB_POOL_MAX', String(SIDE_POOLS.evalRunner)),
      cpu: '4',
      memory: '8Gi',
      timeoutSeconds: 3600,
      maxRetries: 0,
    }),
  };

  // --- grants, each on the one resource it concerns
  new gcp.kms.CryptoKeyIAMMember('signer-can-sign', { cryptoKeyId: keys.signerKey.id, role: 'roles/cloudkms.signer', member: member(w.signer) });
  new gcp.kms.CryptoKeyIAMMember('signer-can-read-public-keys', { cryptoKeyId: keys.signerKey.id, role: 'roles/cloudkms.publicKeyViewer', member: member(w.signer) });
  // GET /v1/public-keys lists the key's enabled versions: cloudkms.cryptoKeyVersions.list is in viewer, not publicKeyViewer.
  new gcp.kms.CryptoKeyIAMMember('signer-can-list-key-versions', { cryptoKeyId: keys.signerKey.id, role: 'roles/cloudkms.viewer', member: member(w.signer) });
  // The signer is private: the release pipeline (Cloud Build's deployer identity, which publishes model
  // artifacts and their manifests) is its only caller; it also needs a platform JWT with `manifest.sign`.
  // Add callers here, one identity at a time; never allUsers.
  signer.allowInvoker('signer-invoker-deployer', member(ids.identities.deployer));

  for (const key of ['inference', 'eval', 'hitl', 'budget'] as const) messaging.grantPublisher(key, member(w.orchestrator), 'orchestrator');
  for (const [key, account] of [['orchestrator', w.orchestrator], ['rag-ingestor', w.ragIngestor], ['eval-runner', w.evalRunner]] as const) {
    new gcp.projects.IAMMember(`${key}-vertex-user`, { project: s.project, role: 'roles/aiplatform.user', member: member(account) });
  }
  // BYOK: tenants' own vendor keys, read at request time (shared/providers/byok), only secrets named tenant-*.
  // IAM conditions see secrets by project number.
  const projectNumber = gcp.organizations.getProjectOutput({ projectId: s.project }).number;
  new gcp.projects.IAMMember('orchestrator-byok-secrets', {
    project: s.project,
    role: 'roles/secretmanager.secretAccessor',
    member: member(w.orchestrator),
    condition: {
      title: 'tenant-byok-secrets-only',
      description: 'BYOK vendor keys of tenants (tenant-<tenant>-<provider>-api-key)',
      expression: pulumi.interpolate`resource.name.startsWith("projects/${projectNumber}/secrets/tenant-")`,
    },
  });
  // The orchestrator hands out V4 signed read URLs (shared/snapshots/gcs.ts): it reads the objects and signs
  // with its own identity through IAM signBlob.
  grantBucket('snapshots-orchestrator', buckets.desktopSnapshots, 'roles/storage.objectViewer', member(w.orchestrator), buckets);
  new gcp.serviceaccount.IAMMember('orchestrator-signs-urls', { serviceAccountId: w.orchestrator.name, role: 'roles/iam.serviceAccountTokenCreator', member: member(w.orchestrator) });
  grantBucket('eval-datasets-eval-runner', buckets.evalDatasets, 'roles/storage.objectViewer', member(w.evalRunner), buckets);
  grantBucket('model-artifacts-eval-runner', buckets.modelArtifacts, 'roles/storage.objectAdmin', member(w.evalRunner), buckets);
  grantBucket('rag-sources-rag-ingestor', buckets.ragSources, 'roles/storage.objectViewer', member(w.ragIngestor), buckets);
  // A sync may read from a bucket outside this stack: the ingestor may read that bucket too, nothing more.
  for (const bucket of new Set(s.ragSyncs.map((r) => r.source.slice('gs://'.length).split('/')[0]!))) {
    if (bucket === `${s.project}-ai-rag-sources`) continue;
    new gcp.storage.BucketIAMMember(`rag-source-${bucket}-rag-ingestor`, { bucket, role: 'roles/storage.objectViewer', member: member(w.ragIngestor) });
  }

  // --- Pub/Sub push to the orchestrator, and the BigQuery feed
  const pushIdentity = ids.identities.pushInvoker;
  const pushInvoker = orchestrator.allowInvoker('orchestrator-invoker-push', member(pushIdentity));
  // Callers authenticate with their platform JWT (Authorization header), so Cloud Run's IAM check is open;
  // the network path is the load balancer with Cloud Armor. The push route checks its OIDC token itself.
  orchestrator.allowInvoker('orchestrator-invoker-public', 'allUsers');
  messaging.subscribeCommandsPush({
    endpoint: pulumi.interpolate`${orchestrator.service.uri}${PUSH_PATH}`,
    pushIdentityEmail: pushIdentity.email,
    audience: pushAudience,
    dependsOn: [pushInvoker],
  });
  const analytics = new Analytics('analytics', { settings: s, writer: member(ids.identities.bigqueryWriter) });
  messaging.subscribeAiCallsFact({ table: analytics.aiCallsFactRef, writerEmail: ids.identities.bigqueryWriter.email, dependsOn: [analytics] });

  // --- schedules
  new Schedules('schedules', {
    settings: s,
    identity: ids.identities.scheduler,
    schedules: [
      { name: 'budget-reset-daily', cron: '5 0 * * *', job: jobs.budgetResetter, description: 'Close ended daily budget periods, open the new ones' },
      { name: 'budget-reset-monthly', cron: '1 0 1 * *', job: jobs.budgetResetter, description: 'Close the ended monthly budget periods at month start' },
      // One nightly run per dataset the image ships in evals/, ten minutes apart.
      ...readEvalDatasets().map((dataset, i) => ({
        name: `eval-nightly-${path.basename(dataset, '.jsonl')}`,
        cron: `${(i * 10) % 60} ${2 + Math.floor((i * 10) / 60)} * * *`,
        job: jobs.evalRunner,
        description: `Nightly evaluation: ${dataset}`,
        args: [WORKLOADS.evalRunner.entry, '--dataset', dataset, '--requested-by', 'cloud-scheduler'],
      })),
      ...s.ragSyncs.map((r) => ({
        name: `rag-sync-${r.tenant}-${r.corpus}`,
        cron: '30 */6 * * *',
        job: jobs.ragIngestor,
        description: `RAG sync of ${r.tenant}/${r.corpus} from ${r.source}`,
        args: [WORKLOADS.ragIngestor.entry, '--tenant', r.tenant, '--corpus', r.corpus, '--source', r.source],
      })),
    ],
  });

  const edge = new Edge('edge', { settings: s, serviceName: orchestrator.service.name });

  return {
    orchestratorUrl: orchestrator.service.uri,
    signerUrl: signer.service.uri,
    edgeAddress: edge.address.address,
    image,
    registry: delivery.registry,
    databaseInstance: database.instance.name,
    replicaInstance: database.replica?.name,
    pushAudience,
  };
}
