import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { StackSettings } from '../settings.js';

/**
 * Memorystore for Redis 7, Standard tier (a replica in another zone with automatic failover), reached over
 * private services access, with AUTH. No persistence: budget counters are rebuilt from the Postgres ledger
 * after a failover, and the rest (cache, idempotency, rate limits) is disposable.
 *
 * In-transit encryption is off because the ioredis adapter does not yet load Memorystore's per-instance CA;
 * the traffic never leaves the VPC peering. (Turning it on = `rediss://` + the CA in shared/cache/redis.ts.)
 */
export class Cache extends pulumi.ComponentResource {
  readonly instance: gcp.redis.Instance;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: { settings: StackSettings; network: pulumi.Input<string>; dependsOn: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:Cache', name, {}, opts);
    const s = args.settings;
    this.instance = new gcp.redis.Instance('redis', {
      project: s.project,
      name: 'ai-orchestrator',
      region: s.region,
      tier: 'STANDARD_HA',
      memorySizeGb: s.redis.memorySizeGb,
      redisVersion: 'REDIS_7_2',
      authorizedNetwork: args.network,
      connectMode: 'PRIVATE_SERVICE_ACCESS',
      authEnabled: true,
      transitEncryptionMode: 'DISABLED',
      // The budget Lua script and ioredis need no extra modules; evict only keys with a TTL under pressure.
      redisConfigs: { 'maxmemory-policy': 'volatile-lru' },
      maintenancePolicy: { weeklyMaintenanceWindows: [{ day: 'SUNDAY', startTime: { hours: 3, minutes: 0 } }] },
    }, { parent: this, dependsOn: args.dependsOn });
    this.url = pulumi.secret(pulumi.interpolate`redis://:${this.instance.authString}@${this.instance.host}:${this.instance.port}`);
    this.registerOutputs({});
  }
}
