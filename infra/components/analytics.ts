import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { StackSettings } from '../settings.js';
import { AI_CALLS_FACT_SCHEMA } from './ai-calls-transform.js';

export const DATASET_ID = 'ai_orchestrator';
export const AI_CALLS_TABLE_ID = 'ai_calls_fact';

/**
 * BigQuery: the `ai_orchestrator` dataset (in the primary region, for data residency) and `ai_calls_fact`,
 * one row per inference event, partitioned by day of `event_time` and clustered by tenant and capability
 * (the two filters every cost report uses). Only the BigQuery subscription's identity may write to it.
 */
export class Analytics extends pulumi.ComponentResource {
  readonly dataset: gcp.bigquery.Dataset;
  readonly aiCallsFact: gcp.bigquery.Table;
  /** `project.dataset.table`, the form a BigQuery subscription names its table by. */
  readonly aiCallsFactRef: pulumi.Output<string>;

  constructor(name: string, args: { settings: StackSettings; writer: pulumi.Input<string> }, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:Analytics', name, {}, opts);
    const s = args.settings;
    this.dataset = new gcp.bigquery.Dataset('dataset', {
      project: s.project,
      datasetId: DATASET_ID,
      location: s.region,
      description: 'AI orchestrator facts (fed by Pub/Sub BigQuery subscriptions)',
      deleteContentsOnDestroy: false,
    }, { parent: this });
    this.aiCallsFact = new gcp.bigquery.Table('ai-calls-fact', {
      project: s.project,
      datasetId: this.dataset.datasetId,
      tableId: AI_CALLS_TABLE_ID,
      description: 'One row per inference.completed / inference.failed event',
      timePartitioning: { type: 'DAY', field: 'event_time' },
      requirePartitionFilter: true,
      clusterings: ['tenant_id', 'capability_key'],
      schema: JSON.stringify(AI_CALLS_FACT_SCHEMA),
      deletionProtection: s.environment === 'prod',
    }, { parent: this });
    new gcp.bigquery.DatasetIamMember('dataset-writer', {
      project: s.project,
      datasetId: this.dataset.datasetId,
      role: 'roles/bigquery.dataEditor',
      member: args.writer,
    }, { parent: this });
    this.aiCallsFactRef = pulumi.interpolate`${s.project}.${this.dataset.datasetId}.${this.aiCallsFact.tableId}`;
    this.registerOutputs({});
  }
}
