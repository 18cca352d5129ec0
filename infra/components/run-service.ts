import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { WorkloadSpec } from '../names.js';
import type { WorkloadEnv } from './environment.js';
import { appContainer, directVpcAccess, grantEnvSecrets } from './workload.js';

export interface RunServiceArgs {
  spec: WorkloadSpec;
  project: string;
  region: string;
  image: string;
  serviceAccount: gcp.serviceaccount.Account;
  env: WorkloadEnv;
  cpu: string;
  memory: string;
  concurrency: number;
  minInstances: number;
  maxInstances: number;
  timeoutSeconds: number;
  /** INGRESS_TRAFFIC_ALL | INGRESS_TRAFFIC_INTERNAL_ONLY | INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER */
  ingress: string;
  vpc: { network: pulumi.Input<string>; subnetwork: pulumi.Input<string> };
  /** Keep CPU allocated between requests (background work such as the outbox relay). */
  alwaysOnCpu: boolean;
  deletionProtection: boolean;
  /** Resources that must exist first (the secret versions its environment reads at start). */
  dependsOn?: pulumi.Resource[];
}

/**
 * A Cloud Run (v2) service running one entry point of the image, with its own identity, probes on
 * /readyz (startup) and /healthz (liveness), Direct VPC egress for private ranges, and read access to
 * exactly the secrets its environment names.
 *
 * After creation, the image and the traffic split belong to the pipeline (cloudbuild.yaml deploys each
 * release as a no-traffic revision and shifts traffic), so `pulumi up` does not roll them back.
 */
export class RunService extends pulumi.ComponentResource {
  readonly service: gcp.cloudrunv2.Service;

  constructor(name: string, args: RunServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:RunService', name, {}, opts);
    const secretGrants = grantEnvSecrets(name, args.env, args.serviceAccount.email, this);
    this.service = new gcp.cloudrunv2.Service(name, {
      project: args.project,
      name: args.spec.name,
      location: args.region,
      ingress: args.ingress,
      deletionProtection: args.deletionProtection,
      template: {
        serviceAccount: args.serviceAccount.email,
        executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
        timeout: `${args.timeoutSeconds}s`,
        maxInstanceRequestConcurrency: args.concurrency,
        scaling: { minInstanceCount: args.minInstances, maxInstanceCount: args.maxInstances },
        vpcAccess: directVpcAccess(args.vpc),
        containers: [{
          ...appContainer(args),
          ports: { containerPort: 8080 },
          resources: { limits: { cpu: args.cpu, memory: args.memory }, cpuIdle: !args.alwaysOnCpu, startupCpuBoost: true },
          // Ready once the database answers, migrations are applied and the JWKS is loaded: up to 60 s.
          startupProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 },
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
        }],
      },
      traffics: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    }, {
      parent: this,
      dependsOn: [...secretGrants, ...(args.dependsOn ?? [])],
      ignoreChanges: ['template.containers[0].image', 'traffics', 'client', 'clientVersion', 'template.revision'],
    });
    this.registerOutputs({});
  }

  /** Grants `roles/run.invoker` on this service to one member. */
  allowInvoker(resourceName: string, member: pulumi.Input<string>): gcp.cloudrunv2.ServiceIamMember {
    return new gcp.cloudrunv2.ServiceIamMember(resourceName, {
      project: this.service.project,
      location: this.service.location,
      name: this.service.name,
      role: 'roles/run.invoker',
      member,
    }, { parent: this });
  }
}
