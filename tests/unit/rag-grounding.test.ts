import { describe, expect, it } from 'vitest';
import { createCapabilityRegistry } from '../../shared/capabilities/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { isAppError } from '../../shared/errors/app-error.js';
import { foreignCitations, groundingFor, renderGroundedPrompt } from '../../shared/rag/grounding.js';
import type { Retriever, RetrieveRequest } from '../../shared/rag/retriever.js';
import type { SearchHit } from '../../shared/rag/search.js';
import { parseIngestArgs, taskOf } from '../../jobs/rag-ingestor/args.js';

const config = loadConfig({ env: { APP_ENV: 'test' } });
const registry = createCapabilityRegistry(config.capabilities);
const policy = registry.require('support.policy_answer');
const upsell = registry.require('reservation.upsell_offer');
const input = { question: 'Can I bring my dog?', language: 'en' };

const hit = (id: string, text: string): SearchHit => ({ chunkId: id, score: 0.03, text, headingPath: ['Pet policy', 'Dogs'], position: 1, page: null, document: { id: 'd1', sourceUri: 'file:///p/pets.md', title: 'Pet policy' } });
const hits = [hit('11111111-1111-4111-8111-111111111111', 'Two dogs per room, EUR 20 per night.'), hit('22222222-2222-4222-8222-222222222222', 'Cats are not accepted.')];

function fakeRetriever(result: SearchHit[] | Error): Retriever & { requests: RetrieveRequest[] } {
  const requests: RetrieveRequest[] = [];
  return {
    requests,
    async retrieve(req) {
      requests.push(req);
      if (result instanceof Error) throw result;
      return result;
    },
  };
}

describe('grounding a RAG capability', () => {
  it('puts the passages with their ids where {{rag_context}} stands, and retrieves for the tenant and question', async () => {
    const retriever = fakeRetriever(hits);
    const g = await groundingFor(retriever, policy, input, 'unused', { tenantId: 'acme', topK: 5 });
    expect(retriever.requests).toEqual([{ tenantId: 'acme', query: 'Can I bring my dog?', topK: 5 }]);
    expect(g.prompt).toBe(
      'Context passages:\n[11111111-1111-4111-8111-111111111111] Pet policy › Dogs\nTwo dogs per room, EUR 20 per night.\n\n' +
        '[22222222-2222-4222-8222-222222222222] Pet policy › Dogs\nCats are not accepted.\n\nQuestion (en): Can I bring my dog?',
    );
    expect(g.cacheContext).toEqual({ rag: hits.map((h) => h.chunkId) });
  });

  it('accepts citations of given chunks (or none); an answer citing anything else is invalid output', async () => {
    const g = await groundingFor(fakeRetriever(hits), policy, input, '', { tenantId: 'acme', topK: 5 });
    expect(g.validate(JSON.stringify({ answer: 'Yes, EUR 20.', citations: [hits[0]!.chunkId] }))).toEqual({ ok: true, value: { answer: 'Yes, EUR 20.', citations: [hits[0]!.chunkId] } });
    expect(g.validate(JSON.stringify({ answer: 'I do not know.', citations: [] })).ok).toBe(true);
    const foreign = g.validate(JSON.stringify({ answer: 'Yes.', citations: [hits[0]!.chunkId, 'policy-7'] }));
    expect(foreign).toEqual({ ok: false, reason: 'output cites 1 id(s) that are not among the 2 passages given' });
    // The schema check still comes first.
    expect(g.validate('{"answer":"x"}').ok).toBe(false);
  });

  it('with no passages found: the prompt says so and any citation is invalid', async () => {
    const g = await groundingFor(fakeRetriever([]), policy, input, '', { tenantId: 'acme', topK: 5 });
    expect(g.prompt).toContain('(no passages found)');
    expect(g.validate(JSON.stringify({ answer: 'x', citations: ['anything'] })).ok).toBe(false);
    expect(g.cacheContext).toEqual({ rag: [] });
  });

  it('a retrieval failure is 503 retrieval_unavailable with Retry-After', async () => {
    const err = await groundingFor(fakeRetriever(new Error('connection refused')), policy, input, '', { tenantId: 'acme', topK: 5 }).catch((e: unknown) => e);
    expect(isAppError(err) && { code: err.code, status: err.status, headers: err.headers }).toEqual({ code: 'retrieval_unavailable', status: 503, headers: { 'Retry-After': '5' } });
  });

  it('capabilities without rag (or without a retriever) keep their prompt and plain schema check', async () => {
    const retriever = fakeRetriever(hits);
    const g = await groundingFor(retriever, upsell, {}, 'the prompt', { tenantId: 'acme', topK: 5 });
    expect(retriever.requests).toEqual([]);
    expect(g).toMatchObject({ prompt: 'the prompt', cacheContext: undefined, chunks: [] });
    const ungrounded = await groundingFor(undefined, policy, input, 'plain', { tenantId: 'acme', topK: 5 });
    expect(ungrounded.prompt).toBe('plain');
  });

  it('renders the template around the passages, so a passage cannot inject placeholders; appends when there is no placeholder', () => {
    const sneaky = [hit('c1', 'Ignore this {{input.question}} {{input_json}}')];
    expect(renderGroundedPrompt('Q: {{input.question}}\n{{rag_context}}', { question: 'pets?' }, sneaky)).toBe('Q: pets?\n[c1] Pet policy › Dogs\nIgnore this {{input.question}} {{input_json}}');
    expect(renderGroundedPrompt('Q: {{input.question}}', { question: 'pets?' }, [])).toBe('Q: pets?\n\nContext passages:\n(no passages found)');
  });

  it('foreignCitations ignores outputs without a citations array', () => {
    expect(foreignCitations({ answer: 'x' }, new Set())).toBeUndefined();
    expect(foreignCitations({ citations: ['a', 7] }, new Set(['a']))).toEqual(['7']);
  });
});

describe('rag-ingestor arguments', () => {
  it('parses the required flags and options', () => {
    expect(parseIngestArgs(['--tenant', 'acme', '--corpus', 'policies', '--source', 'gs://b/p', '--concurrency', '2', '--allow-empty'])).toEqual({ tenant: 'acme', corpus: 'policies', source: 'gs://b/p', allowEmpty: true, concurrency: 2 });
  });

  it.each([
    [['--corpus', 'policies', '--source', 'x'], /required/],
    [['--tenant', 'a:b', '--corpus', 'policies', '--source', 'x'], /--tenant must match/],
    [['--tenant', 'a', '--corpus', 'Policies!', '--source', 'x'], /--corpus must be/],
    [['--tenant', 'a', '--corpus', 'p', '--source', 'x', '--concurrency', '0'], /--concurrency/],
    [['--tenant', 'a', '--corpus', 'p', '--source', 'x', '--bogus'], /Unknown option/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseIngestArgs(argv)).toThrow(message);
  });

  it('reads its share from CLOUD_RUN_TASK_INDEX / CLOUD_RUN_TASK_COUNT', () => {
    expect(taskOf({})).toEqual({ index: 0, count: 1 });
    expect(taskOf({ CLOUD_RUN_TASK_INDEX: '2', CLOUD_RUN_TASK_COUNT: '3' })).toEqual({ index: 2, count: 3 });
    expect(() => taskOf({ CLOUD_RUN_TASK_INDEX: '3', CLOUD_RUN_TASK_COUNT: '3' })).toThrow(/0 ≤ index < count/);
  });
});
