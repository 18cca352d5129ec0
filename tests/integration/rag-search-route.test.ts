import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/auth/index.js';
import { createHttpApp, listenHttp } from '../../shared/http/index.js';
import { createLogger, createMetrics } from '../../shared/telemetry/index.js';
import { AppError } from '../../shared/errors/app-error.js';
import type { RateLimiter } from '../../shared/rate-limit/index.js';
import type { Retriever, RetrieveRequest } from '../../shared/rag/retriever.js';
import { ragSearchRoutes } from '../../services/orchestrator/routes/rag-search.js';

/**
 * The route's own error paths, with the retriever and rate limiter as in-process doubles (the real search is
 * covered end to end in tests/e2e/rag-service.test.ts): a failing retrieval → 503, a rate-limited tenant → 429.
 */
describe('POST /v1/rag/search error paths', () => {
  let url: string;
  let close: () => void;
  let failWith: Error | undefined;
  let limited = false;
  const seen: RetrieveRequest[] = [];
  const retriever: Retriever = {
    async retrieve(req) {
      seen.push(req);
      if (failWith) throw failWith;
      return [];
    },
  };
  const rateLimiter = {
    async admitRequest() {
      if (limited) throw new AppError({ code: 'rate_limited', status: 429, title: 'Too many requests', detail: 'slow down', headers: { 'Retry-After': '7' } });
    },
    async adjustTokens() {},
  } as unknown as RateLimiter;

  beforeAll(async () => {
    const app = createHttpApp({ logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }), bodyLimitBytes: 65536 });
    app.addHook('onRequest', async (request) => {
      request.principal = { tenantId: 'hotel-r', subject: 'svc', scopes: new Set(['ai.invoke']) } as unknown as Principal;
    });
    ragSearchRoutes(app, { retriever, rateLimiter, defaultTopK: 5 });
    const { server, port } = await listenHttp(app, 0, '127.0.0.1');
    url = `http://127.0.0.1:${port}`;
    close = () => server.close();
  });
  afterAll(() => close?.());

  const search = (body: unknown) => fetch(`${url}/v1/rag/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('searches the caller’s tenant with the default top_k, or the corpus asked for', async () => {
    expect((await search({ query: 'pets' })).status).toBe(200);
    expect((await search({ query: 'pets', top_k: 2, corpus: 'faq' })).status).toBe(200);
    expect(seen).toEqual([{ tenantId: 'hotel-r', query: 'pets', topK: 5 }, { tenantId: 'hotel-r', query: 'pets', topK: 2, corpora: ['faq'] }]);
  });

  it('a retrieval failure (database or embedder down) is 503 retrieval_unavailable with Retry-After, not a 500', async () => {
    failWith = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const res = await search({ query: 'pets' });
    failWith = undefined;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'retrieval_unavailable', status: 503 });
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
  });

  it('a rate-limited tenant gets 429 before any retrieval', async () => {
    limited = true;
    const before = seen.length;
    const res = await search({ query: 'pets' });
    limited = false;
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ code: 'rate_limited' });
    expect(seen.length).toBe(before);
  });
});
