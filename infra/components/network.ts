import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { StackSettings } from '../settings.js';

/**
 * The VPC the workloads reach Cloud SQL and Memorystore through: one subnet per region for Cloud Run
 * Direct VPC egress (no connector VMs to size), and a private services access range peered with Google's
 * service producers so Cloud SQL and Redis get private IPs only.
 */
export class Network extends pulumi.ComponentResource {
  readonly network: gcp.compute.Network;
  readonly subnet: gcp.compute.Subnetwork;
  readonly failoverSubnet: gcp.compute.Subnetwork;
  readonly privateServices: gcp.servicenetworking.Connection;

  constructor(name: string, args: { settings: StackSettings }, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:Network', name, {}, opts);
    const s = args.settings;
    this.network = new gcp.compute.Network('vpc', { project: s.project, name: 'ai-orchestrator', autoCreateSubnetworks: false }, { parent: this });
    // Direct VPC egress takes two IPs per instance at scale-out; the prod maximum (200) fits a /22 with room for jobs.
    this.subnet = new gcp.compute.Subnetwork('subnet-primary', {
      project: s.project,
      name: `run-egress-${s.region}`,
      region: s.region,
      network: this.network.id,
      ipCidrRange: s.network.subnetCidr,
      privateIpGoogleAccess: true,
    }, { parent: this });
    // Same size in the failover region, so the region-failover runbook only redeploys workloads.
    this.failoverSubnet = new gcp.compute.Subnetwork('subnet-failover', {
      project: s.project,
      name: `run-egress-${s.failoverRegion}`,
      region: s.failoverRegion,
      network: this.network.id,
      ipCidrRange: failoverCidr(s.network.subnetCidr),
      privateIpGoogleAccess: true,
    }, { parent: this });
    const range = new gcp.compute.GlobalAddress('private-services-range', {
      project: s.project,
      name: 'private-services',
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      prefixLength: s.network.serviceRangePrefixLength,
      network: this.network.id,
    }, { parent: this });
    this.privateServices = new gcp.servicenetworking.Connection('private-services', {
      network: this.network.id,
      service: 'servicenetworking.googleapis.com',
      reservedPeeringRanges: [range.name],
    }, { parent: this });
    this.registerOutputs({});
  }
}

/** The failover subnet: the primary's range with its second octet + 1 (10.10.0.0/22 → 10.11.0.0/22). */
export function failoverCidr(cidr: string): string {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) throw new Error(`network.subnetCidr must be an IPv4 CIDR (got "${cidr}")`);
  const [, a, b, c, d, bits] = match;
  return `${a}.${Number(b) + 1}.${c}.${d}/${bits}`;
}
