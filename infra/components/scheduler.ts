import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { StackSettings } from '../settings.js';
import type { RunJob } from './run-job.js';

export interface Schedule {
  name: string;
  /** unix-cron, in UTC (budget periods are UTC days and months). */
  cron: string;
  job: RunJob;
  description: string;
  /** Container args for this run (replacing the job's own, so they start with the entry point). */
  args?: string[];
}

/** The Run Admin API body of `jobs/<name>:run` with container args overridden, base64 as Scheduler wants it. */
export function runWithArgsBody(args: string[]): string {
  return Buffer.from(JSON.stringify({ overrides: { containerOverrides: [{ args }] } })).toString('base64');
}

/**
 * Cloud Scheduler entries that run Cloud Run Jobs through the Run Admin API (`jobs/<name>:run`) as the
 * scheduler identity, which may run exactly these jobs and nothing else: `run.invoker` on a job run as is,
 * `run.jobsExecutorWithOverrides` on a job run with its own arguments (eval datasets, RAG sources).
 */
export class Schedules extends pulumi.ComponentResource {
  readonly entries: gcp.cloudscheduler.Job[];

  constructor(name: string, args: { settings: StackSettings; schedules: Schedule[]; identity: gcp.serviceaccount.Account }, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:Schedules', name, {}, opts);
    const s = args.settings;
    const member = pulumi.interpolate`serviceAccount:${args.identity.email}`;
    const invokers = new Map<RunJob, pulumi.Resource>();
    this.entries = args.schedules.map((entry) => {
      if (!invokers.has(entry.job)) {
        const overrides = args.schedules.some((e) => e.job === entry.job && e.args);
        invokers.set(entry.job, entry.job.allowInvoker(`${name}-${entry.name}-invoker`, member, overrides ? 'roles/run.jobsExecutorWithOverrides' : 'roles/run.invoker'));
      }
      return new gcp.cloudscheduler.Job(`schedule-${entry.name}`, {
        project: s.project,
        region: s.region,
        name: entry.name,
        description: entry.description,
        schedule: entry.cron,
        timeZone: 'Etc/UTC',
        attemptDeadline: '180s',
        retryConfig: { retryCount: 3, minBackoffDuration: '30s', maxBackoffDuration: '600s' },
        httpTarget: {
          httpMethod: 'POST',
          uri: pulumi.interpolate`https://run.googleapis.com/v2/projects/${s.project}/locations/${s.region}/jobs/${entry.job.job.name}:run`,
          oauthToken: { serviceAccountEmail: args.identity.email, scope: 'https://www.googleapis.com/auth/cloud-platform' },
          ...(entry.args ? { body: runWithArgsBody(entry.args), headers: { 'Content-Type': 'application/json' } } : {}),
        },
      }, { parent: this, dependsOn: [invokers.get(entry.job)!] });
    });
    this.registerOutputs({});
  }
}
