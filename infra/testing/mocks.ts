/**
 * Runs the program under Pulumi's runtime mocks (no CLI, no cloud): every resource registration is
 * recorded with its inputs, and the few outputs the program reads back (emails, URIs, IPs) get plausible
 * values. Used by tests/unit/infra-*.test.ts.
 */
import { readFileSync } from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { createInfrastructure, type Infrastructure } from '../program.js';
import { parseSettings, type StackSettings } from '../settings.js';

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export interface BuiltStack {
  settings: StackSettings;
  resources: RecordedResource[];
  infra: Infrastructure;
}

const PROJECT_NUMBER = '123456789012';

/** The `ai-orchestrator:*` values of infra/Pulumi.<stack>.yaml, keyed without the prefix. */
export function readStackFile(stack: string): Record<string, unknown> {
  const file = parse(readFileSync(new URL(`../Pulumi.${stack}.yaml`, import.meta.url), 'utf8')) as { config: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(file.config)) {
    if (key.startsWith('ai-orchestrator:')) raw[key.slice('ai-orchestrator:'.length)] = value;
  }
  return raw;
}

export async function buildStack(stack: string, settings: StackSettings = parseSettings(readStackFile(stack))): Promise<BuiltStack> {
  const resources: RecordedResource[] = [];
  await pulumi.runtime.setMocks({
    newResource(args) {
      resources.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
      const { id, ...state } = computed(args.type, args.name, args.inputs as Record<string, unknown>, settings);
      return { id: typeof id === 'string' ? id : `${args.name}-id`, state: { ...args.inputs, ...state } };
    },
    call(args) {
      if (args.token === 'gcp:storage/getProjectServiceAccount:getProjectServiceAccount') {
        return { emailAddress: `service-${PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com` };
      }
      if (args.token === 'gcp:organizations/getProject:getProject') return { number: PROJECT_NUMBER, projectId: settings.project };
      throw new Error(`unexpected invoke ${args.token}`);
    },
  }, 'ai-orchestrator', stack, false);
  const infra = createInfrastructure({ settings, dbPassword: 'test-password' });
  // Resources whose inputs wait on other outputs register later: wait until every registration is done.
  await pulumi.runtime.disconnect();
  return { settings, resources, infra };
}

/** Output-only properties the program reads from other resources. */
function computed(type: string, name: string, inputs: Record<string, unknown>, s: StackSettings): Record<string, unknown> {
  switch (type) {
    case 'gcp:serviceaccount/account:Account':
      return { email: `${String(inputs.accountId)}@${s.project}.iam.gserviceaccount.com`, name: `projects/${s.project}/serviceAccounts/${String(inputs.accountId)}` };
    case 'gcp:projects/serviceIdentity:ServiceIdentity':
      return { email: `service-${PROJECT_NUMBER}@gcp-sa-${String(inputs.service).split('.')[0]}.iam.gserviceaccount.com` };
    case 'gcp:cloudrunv2/service:Service':
      return { uri: `https://${String(inputs.name)}-abc123-ew.a.run.app` };
    case 'gcp:sql/databaseInstance:DatabaseInstance':
      return { privateIpAddress: '10.20.0.3' };
    case 'gcp:redis/instance:Instance':
      return { host: '10.20.1.4', port: 6379, authString: 'redis-auth' };
    case 'gcp:pubsub/topic:Topic':
      return { id: `projects/${s.project}/topics/${String(inputs.name)}` };
    case 'gcp:kms/cryptoKey:CryptoKey':
      return { id: `${String(inputs.keyRing)}/cryptoKeys/${String(inputs.name)}` };
    case 'gcp:kms/keyRing:KeyRing':
      return { id: `projects/${s.project}/locations/${String(inputs.location)}/keyRings/${String(inputs.name)}` };
    case 'gcp:compute/globalAddress:GlobalAddress':
      return { address: '203.0.113.10' };
    default:
      return { name: inputs.name ?? name };
  }
}
