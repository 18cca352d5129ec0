import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { failoverCidr } from '../../infra/components/network.js';
import { readStackFile } from '../../infra/testing/mocks.js';
import { orchestratorPoolSizes, parseSettings, RESERVED_CONNECTIONS, SettingsError } from '../../infra/settings.js';

describe('infra stack settings', () => {
  it('reads both stack files: europe-west1 with failover to europe-west4, prod warm, staging scaling to zero', () => {
    const staging = parseSettings(readStackFile('staging'));
    const prod = parseSettings(readStackFile('prod'));
    for (const s of [staging, prod]) {
      expect([s.region, s.failoverRegion]).toEqual(['europe-west1', 'europe-west4']);
      expect(s.redis.memorySizeGb).toBe(5);
    }
    expect([staging.environment, staging.orchestrator.minInstances]).toEqual(['staging', 0]);
    expect([prod.environment, prod.orchestrator.minInstances, prod.orchestrator.maxInstances]).toEqual(['prod', 2, 200]);
    expect(prod.database.deletionProtection).toBe(true);
  });

  it.each([
    ['environment', 'dev', 'ai-orchestrator:environment must be staging or prod'],
    ['failoverRegion', 'europe-west1', 'ai-orchestrator:failoverRegion must differ from region'],
    ['region', 'Europe West', 'ai-orchestrator:region is not a region name'],
    ['secretsFirstRotation', 'next month', 'ai-orchestrator:secretsFirstRotation must be an RFC 3339'],
    ['imageTag', '', 'ai-orchestrator:imageTag is required'],
  ])('refuses %s = %j with one line naming the key', (key, value, message) => {
    const raw = { ...readStackFile('prod'), [key]: value };
    expect(() => parseSettings(raw)).toThrow(SettingsError);
    expect(() => parseSettings(raw)).toThrow(message);
  });

  it('refuses bad nested values: sizes, booleans, country codes, min above max', () => {
    const prod = readStackFile('prod');
    const orchestrator = prod.orchestrator as Record<string, unknown>;
    expect(() => parseSettings({ ...prod, orchestrator: { ...orchestrator, concurrency: 1.5 } })).toThrow('ai-orchestrator:orchestrator.concurrency must be an integer');
    expect(() => parseSettings({ ...prod, orchestrator: { ...orchestrator, minInstances: 300 } })).toThrow('ai-orchestrator:orchestrator.minInstances must not exceed maxInstances');
    expect(() => parseSettings({ ...prod, database: { ...(prod.database as object), highAvailability: 'yes' } })).toThrow('ai-orchestrator:database.highAvailability must be true or false');
    expect(() => parseSettings({ ...prod, edge: { allowedRegionCodes: ['de'], adminRequestsPerMinute: 60 } })).toThrow('ai-orchestrator:edge.allowedRegionCodes');
    expect(() => parseSettings({ ...prod, auth: undefined })).toThrow('ai-orchestrator:auth is required');
    expect(() => parseSettings({ ...prod, database: { ...(prod.database as object), maxConnections: 400 } })).toThrow(
      'ai-orchestrator:database.maxConnections leaves fewer than 3 connections (2 for calls, 1 for retrieval) per orchestrator instance at 200 instances',
    );
  });

  it("splits an orchestrator instance's connections: half for retrieval (1 to 10), the rest for calls (at most 20)", () => {
    const at = (share: number) => orchestratorPoolSizes(10, RESERVED_CONNECTIONS + 10 * share);
    expect(at(3)).toEqual({ main: 2, search: 1 });
    expect(at(9)).toEqual({ main: 5, search: 4 });
    expect(at(100)).toEqual({ main: 20, search: 10 });
  });

  it('refuses RAG syncs the ingestor job would refuse, naming the entry', () => {
    const prod = readStackFile('prod');
    const sync = (entry: Record<string, string>) => parseSettings({ ...prod, ragSyncs: [entry] });
    expect(sync({ tenant: 'acme', corpus: 'faq', source: 'gs://b-1/acme/faq/' }).ragSyncs).toEqual([{ tenant: 'acme', corpus: 'faq', source: 'gs://b-1/acme/faq/' }]);
    expect(() => sync({ tenant: 'acme', corpus: 'faq', source: '/srv/docs' })).toThrow('ai-orchestrator:ragSyncs[0].source must be a gs://bucket/prefix URI');
    expect(() => sync({ tenant: 'acme', corpus: 'FAQ!', source: 'gs://b-1/x' })).toThrow('ai-orchestrator:ragSyncs[0] --corpus must be lower-case');
    expect(() => sync({ tenant: 'acme', corpus: 'faq' } as Record<string, string>)).toThrow('ai-orchestrator:ragSyncs[0].source is required');
    expect(() => parseSettings({ ...prod, ragSyncs: 'acme' })).toThrow('ai-orchestrator:ragSyncs must be a list');
  });

  it('derives the failover subnet from the primary one', () => {
    expect(failoverCidr('10.10.0.0/22')).toBe('10.11.0.0/22');
    expect(() => failoverCidr('10.10.0.0')).toThrow('IPv4 CIDR');
  });
});

describe('infra/Pulumi.yaml', () => {
  it('runs index.ts on Node through tsx (ESM TypeScript), refreshing before each update', () => {
    const project = parse(readFileSync('infra/Pulumi.yaml', 'utf8')) as { name: string; runtime: { name: string; options: Record<string, unknown> }; main: string; options: Record<string, unknown> };
    expect(project.name).toBe('ai-orchestrator');
    expect(project.runtime).toEqual({ name: 'nodejs', options: { typescript: false, nodeargs: '--import tsx' } });
    expect(existsSync(`infra/${project.main}`)).toBe(true);
    expect(project.options.refresh).toBe('always');
    for (const stack of ['staging', 'prod']) {
      const file = parse(readFileSync(`infra/Pulumi.${stack}.yaml`, 'utf8')) as { config: Record<string, unknown> };
      expect(Object.keys(file.config).every((k) => k.startsWith('ai-orchestrator:') || k.startsWith('gcp:'))).toBe(true);
      expect(file.config['gcp:project']).toBe(file.config['ai-orchestrator:project']);
    }
  });
});
