import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { SMOKE_TEST_SECRET_ID } from '../names.js';
import type { StackSettings } from '../settings.js';

/** Provider API keys are rotated every 60 days. */
export const PROVIDER_KEY_ROTATION_PERIOD = '5184000s';

/**
 * Secret Manager: the vendor API keys (values added out of band with `gcloud secrets versions add`, see
 * docs/deploy.md; rotation reminders go to a Pub/Sub topic every 60 days), the connection URLs the program
 * composes from Cloud SQL and Memorystore, and the smoke-test token the pipeline uses. Replicas stay in the
 * two EU regions the service runs in.
 */
export class Secrets extends pulumi.ComponentResource {
  readonly anthropicApiKey: gcp.secretmanager.Secret;
  readonly openaiApiKey: gcp.secretmanager.Secret;
  readonly databaseUrl: gcp.secretmanager.Secret;
  readonly redisUrl: gcp.secretmanager.Secret;
  readonly smokeTestToken: gcp.secretmanager.Secret;
  readonly rotationTopic: gcp.pubsub.Topic;

  constructor(name: string, args: { settings: StackSettings }, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:Secrets', name, {}, opts);
    const s = args.settings;
    const replication = { userManaged: { replicas: [{ location: s.region }, { location: s.failoverRegion }] } };

    this.rotationTopic = new gcp.pubsub.Topic('secret-rotation', {
      project: s.project,
      name: 'secret-rotation',
      messageStoragePolicy: { allowedPersistenceRegions: [s.region, s.failoverRegion] },
    }, { parent: this });
    // Secret Manager publishes rotation notices as its service agent.
    const agent = new gcp.projects.ServiceIdentity('secretmanager-agent', { project: s.project, service: 'secretmanager.googleapis.com' }, { parent: this });
    const canPublish = new gcp.pubsub.TopicIAMMember('secret-rotation-publisher', {
      topic: this.rotationTopic.name,
      role: 'roles/pubsub.publisher',
      member: pulumi.interpolate`serviceAccount:${agent.email}`,
    }, { parent: this });

    const rotated = (resourceName: string, secretId: string) =>
      new gcp.secretmanager.Secret(resourceName, {
        project: s.project,
        secretId,
        replication,
        topics: [{ name: this.rotationTopic.id }],
        rotation: { rotationPeriod: PROVIDER_KEY_ROTATION_PERIOD, nextRotationTime: s.secretsFirstRotation },
        labels: { kind: 'provider-key' },
      }, { parent: this, dependsOn: [canPublish] });
    const plain = (resourceName: string, secretId: string, kind: string) =>
      new gcp.secretmanager.Secret(resourceName, { project: s.project, secretId, replication, labels: { kind } }, { parent: this });

    this.anthropicApiKey = rotated('anthropic-api-key', 'anthropic-api-key');
    this.openaiApiKey = rotated('openai-api-key', 'openai-api-key');
    this.databaseUrl = plain('database-url', 'database-url', 'connection');
    this.redisUrl = plain('redis-url', 'redis-url', 'connection');
    this.smokeTestToken = plain('smoke-test-token', SMOKE_TEST_SECRET_ID, 'pipeline');
    this.registerOutputs({});
  }

  /** Stores a value the program computed (a connection URL) as the secret's current version. */
  setValue(resourceName: string, secret: gcp.secretmanager.Secret, value: pulumi.Input<string>): gcp.secretmanager.SecretVersion {
    return new gcp.secretmanager.SecretVersion(resourceName, { secret: secret.id, secretData: pulumi.secret(value) }, { parent: this });
  }
}

/** Lets one identity read one secret (never project-wide). */
export function grantSecretAccess(resourceName: string, secret: gcp.secretmanager.Secret, member: pulumi.Input<string>, parent: pulumi.Resource): gcp.secretmanager.SecretIamMember {
  return new gcp.secretmanager.SecretIamMember(resourceName, {
    project: secret.project,
    secretId: secret.secretId,
    role: 'roles/secretmanager.secretAccessor',
    member,
  }, { parent });
}
