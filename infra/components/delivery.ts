import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { StackSettings } from '../settings.js';

/**
 * What the pipeline needs: the Artifact Registry repository of the one image, and the deployer identity
 * Cloud Build runs as, allowed to push there, deploy revisions and run jobs, act as the runtime service
 * accounts (and no others), read the error-rate metrics, and read the smoke-test token.
 */
export class Delivery extends pulumi.ComponentResource {
  readonly repository: gcp.artifactregistry.Repository;
  /** `<region>-docker.pkg.dev/<project>/<repository>` */
  readonly registry: string;

  constructor(
    name: string,
    args: { settings: StackSettings; deployer: gcp.serviceaccount.Account; runtimeAccounts: Record<string, gcp.serviceaccount.Account> },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super('ai-orchestrator:infra:Delivery', name, {}, opts);
    const s = args.settings;
    const deployer = pulumi.interpolate`serviceAccount:${args.deployer.email}`;
    this.repository = new gcp.artifactregistry.Repository('images', {
      project: s.project,
      location: s.region,
      repositoryId: s.artifactRepository,
      format: 'DOCKER',
      description: 'ai-orchestrator images (one image, every service and job)',
      dockerConfig: { immutableTags: true },
    }, { parent: this });
    this.registry = `${s.region}-docker.pkg.dev/${s.project}/${s.artifactRepository}`;

    new gcp.artifactregistry.RepositoryIamMember('images-deployer-writer', {
      project: s.project,
      location: s.region,
      repository: this.repository.repositoryId,
      role: 'roles/artifactregistry.writer',
      member: deployer,
    }, { parent: this });
    for (const role of ['roles/run.developer', 'roles/monitoring.viewer', 'roles/logging.logWriter']) {
      new gcp.projects.IAMMember(`deployer-${role.split('/')[1]!.replace('.', '-')}`, { project: s.project, role, member: deployer }, { parent: this });
    }
    Object.entries(args.runtimeAccounts).forEach(([key, account]) => {
      new gcp.serviceaccount.IAMMember(`deployer-acts-as-${key}`, {
        serviceAccountId: account.name,
        role: 'roles/iam.serviceAccountUser',
        member: deployer,
      }, { parent: this });
    });
    this.registerOutputs({});
  }
}
