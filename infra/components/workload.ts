import * as pulumi from '@pulumi/pulumi';
import type { WorkloadSpec } from '../names.js';
import type { WorkloadEnv } from './environment.js';
import { grantSecretAccess } from './secrets.js';

/** What Cloud Run services and jobs share: their identity's secret grants, Direct VPC egress, the container. */

/** Lets the workload's identity read exactly the secrets its environment names; the grants to wait for. */
export function grantEnvSecrets(name: string, env: WorkloadEnv, serviceAccountEmail: pulumi.Input<string>, parent: pulumi.Resource): pulumi.Resource[] {
  return env.secrets().map(({ name: variable, secret }) =>
    grantSecretAccess(`${name}-reads-${variable.toLowerCase().replaceAll('_', '-')}`, secret, pulumi.interpolate`serviceAccount:${serviceAccountEmail}`, parent),
  );
}

/** Direct VPC egress: private ranges (Cloud SQL, Memorystore) through the VPC, the rest straight out. */
export function directVpcAccess(vpc: { network: pulumi.Input<string>; subnetwork: pulumi.Input<string> }) {
  return { networkInterfaces: [{ network: vpc.network, subnetwork: vpc.subnetwork }], egress: 'PRIVATE_RANGES_ONLY' };
}

/** The one image running one entry point (`node dist/…`) with the workload's environment. */
export function appContainer(args: { image: pulumi.Input<string>; spec: WorkloadSpec; env: WorkloadEnv }) {
  return { name: 'app', image: args.image, commands: ['node'], args: [args.spec.entry], envs: args.env.toEnvs() };
}
