import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { CANARY_TAG } from '../names.js';
import type { StackSettings } from '../settings.js';

/** Cloud Armor's preconfigured WAF rule sets (OWASP CRS 3.3), at the lowest-false-positive sensitivity. */
export const WAF_RULE_SETS = [
  'sqli-v33-stable',
  'xss-v33-stable',
  'lfi-v33-stable',
  'rfi-v33-stable',
  'rce-v33-stable',
  'methodenforcement-v33-stable',
  'scannerdetection-v33-stable',
  'protocolattack-v33-stable',
  'sessionfixation-v33-stable',
] as const;

/** Cloud Armor allows at most five subexpressions in one rule's expression. */
export const MAX_SUBEXPRESSIONS = 5;

/** `origin.region_code` is one of `codes`, as a Cloud Armor expression. */
export function geoExpression(codes: string[]): string {
  return codes.map((c) => `origin.region_code == '${c}'`).join(' || ');
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The public edge: a global external Application Load Balancer (HTTPS, managed certificate, TLS ≥ 1.2,
 * HTTP redirected) in front of the orchestrator through a serverless NEG, with a Cloud Armor policy:
 * /internal/* never reachable from outside (Pub/Sub pushes to the service directly), a geo allowlist, a
 * per-IP rate limit on /admin/*, and the preconfigured WAF rules (see edgeRules for their order). `canary.<domain>` reaches the revision
 * tagged `canary`, which is how the pipeline smoke-tests a release before it takes traffic.
 */
export class Edge extends pulumi.ComponentResource {
  readonly address: gcp.compute.GlobalAddress;
  readonly policy: gcp.compute.SecurityPolicy;

  constructor(name: string, args: { settings: StackSettings; serviceName: pulumi.Input<string> }, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:Edge', name, {}, opts);
    const s = args.settings;
    const project = s.project;
    const parent = { parent: this };

    this.policy = new gcp.compute.SecurityPolicy('edge-policy', {
      project,
      name: 'ai-orchestrator-edge',
      type: 'CLOUD_ARMOR',
      description: 'Edge policy of the AI orchestrator load balancer',
      // Parse JSON bodies so WAF rules look at values, not at the JSON syntax (fewer false positives on prompts).
      advancedOptionsConfig: { jsonParsing: 'STANDARD', logLevel: 'NORMAL' },
      rules: edgeRules(s),
    }, parent);

    const neg = (resourceName: string, tag?: string) =>
      new gcp.compute.RegionNetworkEndpointGroup(resourceName, {
        project,
        region: s.region,
        networkEndpointType: 'SERVERLESS',
        cloudRun: tag ? { service: args.serviceName, tag } : { service: args.serviceName },
      }, parent);
    const backend = (resourceName: string, group: gcp.compute.RegionNetworkEndpointGroup) =>
      new gcp.compute.BackendService(resourceName, {
        project,
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        protocol: 'HTTPS',
        backends: [{ group: group.id }],
        securityPolicy: this.policy.id,
        logConfig: { enable: true, sampleRate: 1 },
      }, parent);
    const live = backend('orchestrator-backend', neg('orchestrator-neg'));
    const canary = backend('orchestrator-canary-backend', neg('orchestrator-canary-neg', CANARY_TAG));

    const canaryHost = `${CANARY_TAG}.${s.domain}`;
    const urlMap = new gcp.compute.URLMap('edge-urlmap', {
      project,
      defaultService: live.id,
      hostRules: [{ hosts: [canaryHost], pathMatcher: CANARY_TAG }],
      pathMatchers: [{ name: CANARY_TAG, defaultService: canary.id }],
    }, parent);
    const certificate = new gcp.compute.ManagedSslCertificate('edge-certificate', {
      project,
      managed: { domains: [s.domain, canaryHost] },
    }, parent);
    const sslPolicy = new gcp.compute.SSLPolicy('edge-tls', { project, profile: 'MODERN', minTlsVersion: 'TLS_1_2' }, parent);
    const httpsProxy = new gcp.compute.TargetHttpsProxy('edge-https-proxy', {
      project,
      urlMap: urlMap.id,
      sslCertificates: [certificate.id],
      sslPolicy: sslPolicy.id,
    }, parent);
    this.address = new gcp.compute.GlobalAddress('edge-address', { project, name: 'ai-orchestrator-edge' }, parent);
    new gcp.compute.GlobalForwardingRule('edge-https', {
      project,
      target: httpsProxy.id,
      portRange: '443',
      ipAddress: this.address.address,
      loadBalancingScheme: 'EXTERNAL_MANAGED',
    }, parent);

    const redirectMap = new gcp.compute.URLMap('edge-http-redirect', {
      project,
      defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT', stripQuery: false },
    }, parent);
    const httpProxy = new gcp.compute.TargetHttpProxy('edge-http-proxy', { project, urlMap: redirectMap.id }, parent);
    new gcp.compute.GlobalForwardingRule('edge-http', {
      project,
      target: httpProxy.id,
      portRange: '80',
      ipAddress: this.address.address,
      loadBalancingScheme: 'EXTERNAL_MANAGED',
    }, parent);
    this.registerOutputs({});
  }
}

/**
 * The Cloud Armor rules; the first match (lowest priority number) decides. Deny rules come first, because an
 * `allow` (or a throttle under its limit) ends the evaluation:
 *   1000        /internal/* → 404
 *   1100…       preconfigured WAF rules → 403
 *   2000…       /admin/* throttled per IP (429 above the limit), one rule per group of allowed countries
 *   3000…       requests from allowed countries → allow, one rule per group (five subexpressions per rule)
 *   default     deny(403) with a geo allowlist, allow without one.
 */
export function edgeRules(s: StackSettings): gcp.types.input.compute.SecurityPolicyRule[] {
  const rules: gcp.types.input.compute.SecurityPolicyRule[] = [
    {
      priority: 1000,
      description: 'Internal routes (Pub/Sub push) are not served through the load balancer',
      action: 'deny(404)',
      match: { expr: { expression: "request.path.startsWith('/internal/')" } },
    },
  ];
  WAF_RULE_SETS.forEach((ruleSet, i) => {
    rules.push({
      priority: 1100 + i * 10,
      description: `Preconfigured WAF: ${ruleSet}`,
      action: 'deny(403)',
      match: { expr: { expression: `evaluatePreconfiguredWaf('${ruleSet}', {'sensitivity': 1})` } },
    });
  });

  const geo = s.edge.allowedRegionCodes;
  const admin = "request.path.startsWith('/admin/')";
  const throttle = (priority: number, expression: string, description: string): gcp.types.input.compute.SecurityPolicyRule => ({
    priority,
    description,
    action: 'throttle',
    match: { expr: { expression } },
    rateLimitOptions: {
      enforceOnKey: 'IP',
      conformAction: 'allow',
      exceedAction: 'deny(429)',
      rateLimitThreshold: { count: s.edge.adminRequestsPerMinute, intervalSec: 60 },
    },
  });
  if (geo.length === 0) {
    rules.push(throttle(2000, admin, 'Per-IP rate limit on the admin API'));
  } else {
    chunks(geo, MAX_SUBEXPRESSIONS - 1).forEach((group, i) => {
      rules.push(throttle(2000 + i, `${admin} && (${geoExpression(group)})`, `Per-IP rate limit on the admin API (${group.join(', ')})`));
    });
    chunks(geo, MAX_SUBEXPRESSIONS).forEach((group, i) => {
      rules.push({
        priority: 3000 + i,
        description: `Geo allowlist (stack setting edge.allowedRegionCodes): ${group.join(', ')}`,
        action: 'allow',
        match: { expr: { expression: geoExpression(group) } },
      });
    });
  }
  rules.push({
    priority: 2147483647,
    description: geo.length === 0 ? 'Default: allow' : 'Default: deny (not from an allowed country)',
    action: geo.length === 0 ? 'allow' : 'deny(403)',
    match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
  });
  return rules;
}
