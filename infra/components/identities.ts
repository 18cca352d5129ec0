import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { SERVICE_IDENTITIES, WORKLOADS } from '../names.js';

type WorkloadKey = keyof typeof WORKLOADS;
type IdentityKey = keyof typeof SERVICE_IDENTITIES;

/**
 * One service account per workload (each Cloud Run service and job) and per non-code identity (the push
 * subscription, Cloud Scheduler, the BigQuery subscription, the deployer). Accounts start with no roles:
 * every grant is made next to the resource it is on, by the component that owns that resource.
 */
export class Identities extends pulumi.ComponentResource {
  readonly workloads: Record<WorkloadKey, gcp.serviceaccount.Account>;
  readonly identities: Record<IdentityKey, gcp.serviceaccount.Account>;

  constructor(name: string, args: { project: string }, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:Identities', name, {}, opts);
    const account = (key: string, accountId: string, description: string) =>
      new gcp.serviceaccount.Account(key, { project: args.project, accountId, displayName: accountId, description }, { parent: this });

    this.workloads = Object.fromEntries(
      Object.entries(WORKLOADS).map(([key, w]) => [key, account(`sa-${w.accountId}`, w.accountId, `Runtime identity of Cloud Run ${w.kind} ${w.name}`)]),
    ) as Record<WorkloadKey, gcp.serviceaccount.Account>;
    this.identities = {
      pushInvoker: account('sa-push-invoker', SERVICE_IDENTITIES.pushInvoker, 'OIDC identity of the inference command push subscription'),
      scheduler: account('sa-scheduler', SERVICE_IDENTITIES.scheduler, 'Cloud Scheduler: runs the scheduled Cloud Run jobs'),
      bigqueryWriter: account('sa-bigquery-writer', SERVICE_IDENTITIES.bigqueryWriter, 'Pub/Sub BigQuery subscription writer (ai_calls_fact)'),
      deployer: account('sa-deployer', SERVICE_IDENTITIES.deployer, 'Cloud Build: pushes images, runs migrations, rolls out revisions'),
    };
    this.registerOutputs({});
  }
}

/** `serviceAccount:<email>` of an account. */
export const member = (account: gcp.serviceaccount.Account): pulumi.Output<string> => pulumi.interpolate`serviceAccount:${account.email}`;
