import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { StackSettings } from '../settings.js';

export const DATABASE_NAME = 'aiorch';
export const DATABASE_USER = 'aiorch_app';

/**
 * Cloud SQL for PostgreSQL 16: regional HA in the primary region, a read replica in the failover region
 * (promoted by docs/runbooks/region-failover.md), private IP only, encrypted with the CMEK data key of its
 * region. pgvector needs no flag on Cloud SQL: migration 0001 runs `CREATE EXTENSION vector`.
 *
 * The connection URL (with the app user's password from the stack's `dbPassword` secret) is returned for
 * Secret Manager; `sslmode=no-verify` encrypts the connection (the instance accepts only encrypted ones)
 * without checking Cloud SQL's per-instance CA, which `pg` would otherwise need as a file.
 */
export class Database extends pulumi.ComponentResource {
  readonly instance: gcp.sql.DatabaseInstance;
  readonly replica: gcp.sql.DatabaseInstance | undefined;
  readonly url: pulumi.Output<string>;

  constructor(
    name: string,
    args: {
      settings: StackSettings;
      network: pulumi.Input<string>;
      dataKey: pulumi.Input<string>;
      failoverDataKey: pulumi.Input<string>;
      password: pulumi.Input<string>;
      dependsOn: pulumi.Resource[];
    },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super('ai-orchestrator:infra:Database', name, {}, opts);
    const s = args.settings;
    const db = s.database;
    const ipConfiguration = { ipv4Enabled: false, privateNetwork: args.network, sslMode: 'ENCRYPTED_ONLY' };

    this.instance = new gcp.sql.DatabaseInstance('postgres', {
      project: s.project,
      name: `ai-orchestrator-${s.environment}`,
      region: s.region,
      databaseVersion: 'POSTGRES_16',
      encryptionKeyName: args.dataKey,
      deletionProtection: db.deletionProtection,
      settings: {
        edition: 'ENTERPRISE',
        tier: db.tier,
        availabilityType: db.highAvailability ? 'REGIONAL' : 'ZONAL',
        diskType: 'PD_SSD',
        diskSize: db.diskSizeGb,
        diskAutoresize: true,
        deletionProtectionEnabled: db.deletionProtection,
        ipConfiguration,
        // Point-in-time recovery is what REGIONAL availability requires for Postgres, and what restores use.
        backupConfiguration: {
          enabled: true,
          pointInTimeRecoveryEnabled: true,
          startTime: '02:00',
          transactionLogRetentionDays: 7,
          backupRetentionSettings: { retainedBackups: 14 },
        },
        maintenanceWindow: { day: 7, hour: 3, updateTrack: 'stable' },
        insightsConfig: { queryInsightsEnabled: true, recordApplicationTags: true, recordClientAddress: false },
        databaseFlags: [{ name: 'max_connections', value: String(db.maxConnections) }],
      },
    }, { parent: this, dependsOn: args.dependsOn });

    this.replica = db.readReplica
      ? new gcp.sql.DatabaseInstance('postgres-replica', {
          project: s.project,
          name: `ai-orchestrator-${s.environment}-replica`,
          region: s.failoverRegion,
          databaseVersion: 'POSTGRES_16',
          masterInstanceName: this.instance.name,
          instanceType: 'READ_REPLICA_INSTANCE',
          encryptionKeyName: args.failoverDataKey,
          deletionProtection: db.deletionProtection,
          replicaConfiguration: { failoverTarget: false },
          settings: {
            edition: 'ENTERPRISE',
            tier: db.tier,
            availabilityType: 'ZONAL',
            diskType: 'PD_SSD',
            diskAutoresize: true,
            ipConfiguration,
            // A replica needs at least the primary's max_connections.
            databaseFlags: [{ name: 'max_connections', value: String(db.maxConnections) }],
          },
        }, { parent: this, dependsOn: args.dependsOn })
      : undefined;

    const database = new gcp.sql.Database('app-database', { project: s.project, instance: this.instance.name, name: DATABASE_NAME }, { parent: this });
    const user = new gcp.sql.User('app-user', { project: s.project, instance: this.instance.name, name: DATABASE_USER, password: args.password }, { parent: this });
    this.url = pulumi.secret(
      pulumi.interpolate`postgres://${DATABASE_USER}:${pulumi.output(args.password).apply(encodeURIComponent)}@${this.instance.privateIpAddress}:5432/${database.name}?sslmode=no-verify&application_name=${user.name}`,
    );
    this.registerOutputs({});
  }
}
