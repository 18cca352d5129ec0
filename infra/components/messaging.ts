import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { EventTopicNames } from '../names.js';
import type { StackSettings } from '../settings.js';
import { AI_CALLS_UDF_NAME, AI_CALLS_UDF_SOURCE } from './ai-calls-transform.js';

/** Deliveries of one message before it is dead-lettered (the push handler answers 5xx for transient faults). */
export const MAX_DELIVERY_ATTEMPTS = 5;
const WEEK = '604800s';

type TopicKey = keyof EventTopicNames;

/**
 * Pub/Sub: the four event topics and the inference command topic, each with a dead-letter topic (plus a
 * pull subscription on it, so dead letters are kept for inspection and replay rather than dropped).
 * Topics are created here; subscriptions are made by `subscribe…` once their endpoints exist.
 */
export class Messaging extends pulumi.ComponentResource {
  readonly topics: Record<TopicKey, gcp.pubsub.Topic>;
  readonly deadLetterTopics: Record<TopicKey, gcp.pubsub.Topic>;
  private readonly agentMember: pulumi.Output<string>;
  private readonly settings: StackSettings;
  private readonly names: EventTopicNames;

  constructor(name: string, args: { settings: StackSettings; topicNames: EventTopicNames }, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:Messaging', name, {}, opts);
    const s = args.settings;
    this.settings = s;
    this.names = args.topicNames;
    // Pub/Sub's own service agent forwards undeliverable messages to the dead-letter topics.
    const agent = new gcp.projects.ServiceIdentity('pubsub-agent', { project: s.project, service: 'pubsub.googleapis.com' }, { parent: this });
    this.agentMember = pulumi.interpolate`serviceAccount:${agent.email}`;
    const storage = { allowedPersistenceRegions: [s.region, s.failoverRegion] };

    const topics = {} as Record<TopicKey, gcp.pubsub.Topic>;
    const deadLetters = {} as Record<TopicKey, gcp.pubsub.Topic>;
    for (const key of Object.keys(args.topicNames) as TopicKey[]) {
      const topicName = args.topicNames[key];
      topics[key] = new gcp.pubsub.Topic(`topic-${key}`, { project: s.project, name: topicName, messageStoragePolicy: storage, messageRetentionDuration: WEEK }, { parent: this });
      const dlq = new gcp.pubsub.Topic(`topic-${key}-dlq`, { project: s.project, name: `${topicName}.dlq`, messageStoragePolicy: storage }, { parent: this });
      deadLetters[key] = dlq;
      new gcp.pubsub.TopicIAMMember(`topic-${key}-dlq-agent-publisher`, { project: s.project, topic: dlq.name, role: 'roles/pubsub.publisher', member: this.agentMember }, { parent: this });
      new gcp.pubsub.Subscription(`topic-${key}-dlq-hold`, {
        project: s.project,
        name: `${topicName}.dlq.hold`,
        topic: dlq.id,
        ackDeadlineSeconds: 60,
        messageRetentionDuration: WEEK,
        retainAckedMessages: true,
        expirationPolicy: { ttl: '' },
      }, { parent: this });
    }
    this.topics = topics;
    this.deadLetterTopics = deadLetters;
    this.registerOutputs({});
  }

  /** Lets an identity publish to one topic. */
  grantPublisher(key: TopicKey, member: pulumi.Input<string>, who: string): gcp.pubsub.TopicIAMMember {
    return new gcp.pubsub.TopicIAMMember(`topic-${key}-publisher-${who}`, { project: this.settings.project, topic: this.topics[key].name, role: 'roles/pubsub.publisher', member }, { parent: this });
  }

  /**
   * The inference command push subscription: Pub/Sub POSTs each command to the orchestrator with an OIDC
   * token of `pushIdentity` for `audience`; after 5 failed deliveries the message goes to the dead-letter topic.
   */
  subscribeCommandsPush(args: { endpoint: pulumi.Input<string>; pushIdentityEmail: pulumi.Input<string>; audience: pulumi.Input<string>; dependsOn: pulumi.Resource[] }): gcp.pubsub.Subscription {
    const s = this.settings;
    const subscription = new gcp.pubsub.Subscription('commands-push', {
      project: s.project,
      name: `${this.names.inferenceRequests}.orchestrator-push`,
      topic: this.topics.inferenceRequests.id,
      // Longer than the orchestrator's 60 s request timeout, so a slow answer is not redelivered while it runs.
      ackDeadlineSeconds: 90,
      messageRetentionDuration: WEEK,
      expirationPolicy: { ttl: '' },
      pushConfig: {
        pushEndpoint: args.endpoint,
        oidcToken: { serviceAccountEmail: args.pushIdentityEmail, audience: args.audience },
      },
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      deadLetterPolicy: { deadLetterTopic: this.deadLetterTopics.inferenceRequests.id, maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS },
    }, { parent: this, dependsOn: args.dependsOn });
    this.allowAgentToForward('commands-push', subscription);
    return subscription;
  }

  /** The BigQuery subscription on the inference events topic, writing `ai_calls_fact` rows through the UDF. */
  subscribeAiCallsFact(args: { table: pulumi.Input<string>; writerEmail: pulumi.Input<string>; dependsOn: pulumi.Resource[] }): gcp.pubsub.Subscription {
    const s = this.settings;
    const subscription = new gcp.pubsub.Subscription('ai-calls-fact', {
      project: s.project,
      name: `${this.names.inference}.ai-calls-fact`,
      topic: this.topics.inference.id,
      messageRetentionDuration: WEEK,
      expirationPolicy: { ttl: '' },
      messageTransforms: [{ javascriptUdf: { functionName: AI_CALLS_UDF_NAME, code: AI_CALLS_UDF_SOURCE } }],
      bigqueryConfig: { table: args.table, useTableSchema: true, dropUnknownFields: true, serviceAccountEmail: args.writerEmail },
      deadLetterPolicy: { deadLetterTopic: this.deadLetterTopics.inference.id, maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS },
    }, { parent: this, dependsOn: args.dependsOn });
    this.allowAgentToForward('ai-calls-fact', subscription);
    return subscription;
  }

  /** Dead-lettering also needs the agent to acknowledge the message on the source subscription. */
  private allowAgentToForward(resourceName: string, subscription: gcp.pubsub.Subscription): void {
    new gcp.pubsub.SubscriptionIAMMember(`${resourceName}-agent-subscriber`, {
      project: this.settings.project,
      subscription: subscription.name,
      role: 'roles/pubsub.subscriber',
      member: this.agentMember,
    }, { parent: this });
  }
}
