import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { StackSettings } from '../settings.js';

/**
 * Cloud Storage, all in the primary region, CMEK-encrypted, uniform access, never public:
 * eval datasets (versioned; objects move to Archive after a year), model artifacts (versioned: a signed
 * manifest names each artifact's sha256, so an overwritten object must stay recoverable), desktop snapshots,
 * and the RAG source documents.
 */
export class Buckets extends pulumi.ComponentResource {
  readonly evalDatasets: gcp.storage.Bucket;
  readonly modelArtifacts: gcp.storage.Bucket;
  readonly desktopSnapshots: gcp.storage.Bucket;
  readonly ragSources: gcp.storage.Bucket;

  constructor(name: string, args: { settings: StackSettings; dataKey: pulumi.Input<string>; dependsOn: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:Buckets', name, {}, opts);
    const s = args.settings;
    const bucket = (resourceName: string, suffix: string, extra: Partial<gcp.storage.BucketArgs>) =>
      new gcp.storage.Bucket(resourceName, {
        project: s.project,
        name: `${s.project}-${suffix}`,
        location: s.region.toUpperCase(),
        storageClass: 'STANDARD',
        uniformBucketLevelAccess: true,
        publicAccessPrevention: 'enforced',
        encryption: { defaultKmsKeyName: args.dataKey },
        forceDestroy: false,
        ...extra,
      }, { parent: this, dependsOn: args.dependsOn });

    this.evalDatasets = bucket('eval-datasets', 'ai-eval-datasets', {
      versioning: { enabled: true },
      lifecycleRules: [
        { condition: { age: 365, withState: 'LIVE' }, action: { type: 'SetStorageClass', storageClass: 'ARCHIVE' } },
        // Superseded dataset versions: archived too after a year, deleted once five newer ones exist.
        { condition: { daysSinceNoncurrentTime: 365, withState: 'ARCHIVED' }, action: { type: 'SetStorageClass', storageClass: 'ARCHIVE' } },
        { condition: { numNewerVersions: 5, withState: 'ARCHIVED' }, action: { type: 'Delete' } },
      ],
    });
    this.modelArtifacts = bucket('model-artifacts', 'ai-model-artifacts', { versioning: { enabled: true } });
    this.desktopSnapshots = bucket('desktop-snapshots', 'ai-desktop-snapshots', { versioning: { enabled: false } });
    // Documents the rag-ingestor syncs tenant corpora from (stack setting ragSyncs).
    this.ragSources = bucket('rag-sources', 'ai-rag-sources', { versioning: { enabled: true } });
    this.registerOutputs({});
  }
}

/** Grants one role on one bucket to one identity. */
export function grantBucket(resourceName: string, bucket: gcp.storage.Bucket, role: string, member: pulumi.Input<string>, parent: pulumi.Resource): gcp.storage.BucketIAMMember {
  return new gcp.storage.BucketIAMMember(resourceName, { bucket: bucket.name, role, member }, { parent });
}
