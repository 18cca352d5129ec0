import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { WorkloadSpec } from '../names.js';
import type { WorkloadEnv } from './environment.js';
import { appContainer, directVpcAccess, grantEnvSecrets } from './workload.js';

export interface RunJobArgs {
  spec: WorkloadSpec;
  project: string;
  region: string;
  image: string;
  serviceAccount: gcp.serviceaccount.Account;
  env: WorkloadEnv;
  cpu: string;
  memory: string;
  timeoutSeconds: number;
  maxRetries: number;
  taskCount?: number;
  vpc: { network: pulumi.Input<string>; subnetwork: pulumi.Input<string> };
  deletionProtection: boolean;
  /** Resources that must exist first (the secret versions its environment reads at start). */
  dependsOn?: pulumi.Resource[];
}

/**
 * A Cloud Run Job running one entry point of the image to completion (`gcloud run jobs execute`, Cloud
 * Scheduler, or the pipeline for migrations). Like services, its image is updated by the pipeline.
 */
export class RunJob extends pulumi.ComponentResource {
  readonly job: gcp.cloudrunv2.Job;

  constructor(name: string, args: RunJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:RunJob', name, {}, opts);
    const secretGrants = grantEnvSecrets(name, args.env, args.serviceAccount.email, this);
    this.job = new gcp.cloudrunv2.Job(name, {
      project: args.project,
      name: args.spec.name,
      location: args.region,
      deletionProtection: args.deletionProtection,
      template: {
        taskCount: args.taskCount ?? 1,
        parallelism: args.taskCount ?? 1,
        template: {
          serviceAccount: args.serviceAccount.email,
          executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
          timeout: `${args.timeoutSeconds}s`,
          maxRetries: args.maxRetries,
          vpcAccess: directVpcAccess(args.vpc),
          containers: [{
            ...appContainer(args),
            resources: { limits: { cpu: args.cpu, memory: args.memory } },
          }],
        },
      },
    }, { parent: this, dependsOn: [...secretGrants, ...(args.dependsOn ?? [])], ignoreChanges: ['template.template.containers[0].image', 'client', 'clientVersion'] });
    this.registerOutputs({});
  }

  /** Lets one member run this job: `roles/run.invoker` (run.jobs.run) or, to pass its own args, `roles/run.jobsExecutorWithOverrides`. */
  allowInvoker(resourceName: string, member: pulumi.Input<string>, role: 'roles/run.invoker' | 'roles/run.jobsExecutorWithOverrides' = 'roles/run.invoker'): gcp.cloudrunv2.JobIamMember {
    return new gcp.cloudrunv2.JobIamMember(resourceName, {
      project: this.job.project,
      location: this.job.location,
      name: this.job.name,
      role,
      member,
    }, { parent: this });
  }
}
