/**
 * Pulumi entry point (`pulumi up` in infra/): reads the stack's settings (Pulumi.<stack>.yaml) and the
 * database password secret, builds the topology, and exports what the pipeline and runbooks need.
 */
import * as pulumi from '@pulumi/pulumi';
import { createInfrastructure } from './program.js';
import { parseSettings } from './settings.js';

const SETTING_KEYS = [
  'environment', 'project', 'region', 'failoverRegion', 'artifactRepository', 'imageTag', 'domain',
  'orchestrator', 'database', 'redis', 'network', 'auth', 'edge', 'secretsFirstRotation', 'ragSyncs', 'signerKeyVersion', 'logLevel',
] as const;

const config = new pulumi.Config();
const raw: Record<string, unknown> = {};
for (const key of SETTING_KEYS) {
  const value = config.get(key);
  if (value === undefined) continue;
  // Structured values arrive as JSON text; scalars as text.
  raw[key] = parseValue(value);
}

const infra = createInfrastructure({ settings: parseSettings(raw), dbPassword: config.requireSecret('dbPassword') });

export const orchestratorUrl = infra.orchestratorUrl;
export const signerUrl = infra.signerUrl;
export const edgeAddress = infra.edgeAddress;
export const image = infra.image;
export const registry = infra.registry;
export const databaseInstance = infra.databaseInstance;
export const replicaInstance = infra.replicaInstance;
export const pushAudience = infra.pushAudience;

function parseValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
