import type * as gcp from '@pulumi/gcp';
import type * as pulumi from '@pulumi/pulumi';

export interface EnvVar {
  name: string;
  value?: pulumi.Input<string>;
  secret?: gcp.secretmanager.Secret;
}

/**
 * The environment of one workload: plain values and Secret Manager references (Cloud Run resolves those
 * to the secret's latest version at instance start). The secrets listed here are exactly the ones the
 * workload's identity is allowed to read.
 */
export class WorkloadEnv {
  private readonly vars = new Map<string, EnvVar>();

  set(name: string, value: pulumi.Input<string>): this {
    this.vars.set(name, { name, value });
    return this;
  }

  secret(name: string, secret: gcp.secretmanager.Secret): this {
    this.vars.set(name, { name, secret });
    return this;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** The secrets this environment references, by variable name. */
  secrets(): Array<{ name: string; secret: gcp.secretmanager.Secret }> {
    return [...this.vars.values()].flatMap((v) => (v.secret ? [{ name: v.name, secret: v.secret }] : []));
  }

  /** Cloud Run's `envs` (services and jobs share the shape). */
  toEnvs(): Array<{ name: string; value?: pulumi.Input<string>; valueSource?: { secretKeyRef: { secret: pulumi.Input<string>; version: string } } }> {
    return [...this.vars.values()].map((v) =>
      v.secret ? { name: v.name, valueSource: { secretKeyRef: { secret: v.secret.secretId, version: 'latest' } } } : { name: v.name, value: v.value as pulumi.Input<string> },
    );
  }
}
