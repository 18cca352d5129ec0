import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { byokSecretName, createByokKeyResolver, secretIdPart, type ByokKeyResolverOptions } from '../../shared/providers/byok/index.js';
import { isProviderError, type ProviderError } from '../../shared/providers/errors.js';
import { startFakeSecretManager, type FakeSecretManager } from '../fakes/secret-manager/server.js';

// Nothing here may look for Google credentials or the GCE metadata server.
process.env.METADATA_SERVER_DETECTION = 'none';

const PATTERN = 'projects/{project}/secrets/tenant-{tenant}-{provider}-api-key/versions/latest';
const ANTHROPIC_SECRET = 'projects/test-project/secrets/tenant-acme-anthropic-api-key/versions/latest';
const OPENAI_SECRET = 'projects/test-project/secrets/tenant-acme-openai-api-key/versions/latest';

let fake: FakeSecretManager;
let client: SecretManagerServiceClient;
let clock: number;

beforeEach(async () => {
  fake = await startFakeSecretManager();
  client = new SecretManagerServiceClient({ apiEndpoint: '127.0.0.1', port: fake.port, sslCreds: grpc.credentials.createInsecure(), universeDomain: 'googleapis.com' });
  clock = 1_000_000;
});
afterEach(async () => {
  await client.close();
  await fake.stop();
});

function resolver(overrides: Partial<ByokKeyResolverOptions> = {}) {
  return createByokKeyResolver({ secretNamePattern: PATTERN, project: 'test-project', cacheTtlMs: 60_000, client, now: () => clock, ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isProviderError(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('BYOK secret names', () => {
  it('fills the pattern and keeps two tenants from ever sharing a secret id', () => {
    expect(byokSecretName(PATTERN, { project: 'p1', tenantId: 'acme', provider: 'openai' })).toBe('projects/p1/secrets/tenant-acme-openai-api-key/versions/latest');
    expect(secretIdPart('Hotel-42')).toBe('Hotel-42');
    expect(secretIdPart('acme.eu')).toBe('acme_2eeu');
    expect(secretIdPart('acme_eu')).toBe('acme_5feu');
    expect(secretIdPart('a/b c')).toBe('a_2fb_20c');
    expect(secretIdPart('acme.eu')).not.toBe(secretIdPart('acme_eu'));
  });
});

describe('BYOK key resolver through the Secret Manager client against the gRPC fake', () => {
  it("returns the tenant's key for each vendor and reuses it without another call", async () => {
    fake.setSecret(ANTHROPIC_SECRET, 'sk-ant-tenant-key\n');
    fake.setSecret(OPENAI_SECRET, 'sk-openai-tenant-key');
    const byok = resolver();

    expect(await byok.keyFor('acme', 'anthropic')).toBe('sk-ant-tenant-key');
    expect(await byok.keyFor('acme', 'openai')).toBe('sk-openai-tenant-key');
    expect(await byok.keyFor('acme', 'anthropic')).toBe('sk-ant-tenant-key');
    expect(fake.accessCalls()).toEqual([ANTHROPIC_SECRET, OPENAI_SECRET]);
    await byok.close();
  });

  it('reads the secret of a tenant id that needs escaping', async () => {
    const name = 'projects/test-project/secrets/tenant-acme_2eeu-openai-api-key/versions/latest';
    fake.setSecret(name, 'sk-eu');
    expect(await resolver().keyFor('acme.eu', 'openai')).toBe('sk-eu');
    expect(fake.accessCalls()).toEqual([name]);
  });

  it('answers undefined for a tenant without a key of its own, and remembers that too', async () => {
    const byok = resolver();
    expect(await byok.keyFor('acme', 'openai')).toBeUndefined();
    expect(await byok.keyFor('acme', 'openai')).toBeUndefined();
    expect(fake.accessCalls()).toEqual([OPENAI_SECRET]);
  });

  it('reads the secret again once the cache entry has expired', async () => {
    const byok = resolver({ cacheTtlMs: 300_000 });
    expect(await byok.keyFor('acme', 'anthropic')).toBeUndefined();
    fake.setSecret(ANTHROPIC_SECRET, 'sk-first');
    clock += 299_999;
    expect(await byok.keyFor('acme', 'anthropic')).toBeUndefined();
    clock += 1;
    expect(await byok.keyFor('acme', 'anthropic')).toBe('sk-first');

    fake.setSecret(ANTHROPIC_SECRET, 'sk-rotated');
    expect(await byok.keyFor('acme', 'anthropic')).toBe('sk-first');
    clock += 300_000;
    expect(await byok.keyFor('acme', 'anthropic')).toBe('sk-rotated');
    expect(fake.accessCalls()).toHaveLength(3);
  });

  it('shares one call among concurrent lookups of the same key', async () => {
    fake.setSecret(OPENAI_SECRET, 'sk-shared');
    fake.setLatency(100);
    const byok = resolver();
    const keys = await Promise.all(Array.from({ length: 20 }, () => byok.keyFor('acme', 'openai')));
    expect(keys).toEqual(Array.from({ length: 20 }, () => 'sk-shared'));
    expect(fake.accessCalls()).toEqual([OPENAI_SECRET]);
  });

  it('accepts a payload without a checksum', async () => {
    fake.setSecret(OPENAI_SECRET, 'sk-no-crc', { crc32c: 'omit' });
    expect(await resolver().keyFor('acme', 'openai')).toBe('sk-no-crc');
  });

  it('refuses a payload whose CRC32C does not match, never revealing it, and does not cache the failure', async () => {
    fake.setSecret(OPENAI_SECRET, 'sk-corrupted-in-transit', { crc32c: 12345 });
    const byok = resolver();
    const error = await failure(byok.keyFor('acme', 'openai'));
    expect(error).toMatchObject({ kind: 'unavailable', provider: 'openai', fallsThrough: true });
    expect(error.message).toContain('CRC32C');
    expect(JSON.stringify({ message: error.message, stack: error.stack, cause: String(error.cause) })).not.toContain('sk-corrupted');

    fake.setSecret(OPENAI_SECRET, 'sk-corrupted-in-transit');
    expect(await byok.keyFor('acme', 'openai')).toBe('sk-corrupted-in-transit');
  });

  it('maps UNAVAILABLE to an unavailable ProviderError of the vendor asked for, with one call, and tries again next time', async () => {
    fake.setSecret(ANTHROPIC_SECRET, 'sk-ant');
    fake.failNext(1, grpc.status.UNAVAILABLE);
    const byok = resolver();
    expect(await failure(byok.keyFor('acme', 'anthropic'))).toMatchObject({ kind: 'unavailable', provider: 'anthropic', fallsThrough: true });
    expect(fake.accessCalls()).toHaveLength(1);
    expect(await byok.keyFor('acme', 'anthropic')).toBe('sk-ant');
    expect(fake.accessCalls()).toHaveLength(2);
  });

  it('maps a lookup that outlives its deadline to unavailable', async () => {
    fake.setSecret(ANTHROPIC_SECRET, 'sk-ant');
    fake.setLatency(1_000);
    expect(await failure(resolver({ timeoutMs: 100 }).keyFor('acme', 'anthropic'))).toMatchObject({ kind: 'unavailable', provider: 'anthropic' });
  });

  it('maps PERMISSION_DENIED to auth: a misconfigured service account never silently means "no key"', async () => {
    fake.failNext(1, grpc.status.PERMISSION_DENIED);
    expect(await failure(resolver().keyFor('acme', 'openai'))).toMatchObject({ kind: 'auth', provider: 'openai' });
  });

  it('treats a disabled latest version as no key', async () => {
    fake.failNext(1, grpc.status.FAILED_PRECONDITION);
    expect(await resolver().keyFor('acme', 'openai')).toBeUndefined();
  });
});
