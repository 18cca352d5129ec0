import { principalOf, requireScope, SCOPES } from '../../../shared/auth/index.js';
import { bodyValidator, type HttpApp } from '../../../shared/http/index.js';
import type { RateLimiter } from '../../../shared/rate-limit/index.js';
import { estimateTokens } from '../../../shared/providers/tokens.js';
import { retrievalUnavailable } from '../../../shared/rag/grounding.js';
import type { Retriever } from '../../../shared/rag/retriever.js';

interface SearchBody {
  query: string;
  top_k?: number;
  corpus?: string;
}

const parseBody = bodyValidator<SearchBody>({
  type: 'object',
  additionalProperties: false,
  required: ['query'],
  properties: {
    query: { type: 'string', minLength: 1, maxLength: 2000, pattern: '\\S' },
    top_k: { type: 'integer', minimum: 1, maximum: 50 },
    corpus: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' },
  },
});

/**
 * POST /v1/rag/search: hybrid search over the caller's own tenant's chunks (never another's), in `corpus`
 * or else the configured corpora. Counts against the tenant's request rate limit.
 */
export function ragSearchRoutes(app: HttpApp, opts: { retriever: Retriever; rateLimiter: RateLimiter; defaultTopK: number }): void {
  app.post('/v1/rag/search', { preHandler: requireScope(SCOPES.aiInvoke) }, async (request) => {
    const body = parseBody(request.body ?? {});
    const { tenantId } = principalOf(request);
    await opts.rateLimiter.admitRequest(tenantId, estimateTokens(body.query));
    let hits;
    try {
      hits = await opts.retriever.retrieve({ tenantId, query: body.query, topK: body.top_k ?? opts.defaultTopK, ...(body.corpus ? { corpora: [body.corpus] } : {}) });
    } catch (err) {
      throw retrievalUnavailable(err);
    }
    return {
      results: hits.map((h) => ({
        chunk_id: h.chunkId,
        score: h.score,
        text: h.text,
        heading_path: h.headingPath,
        position: h.position,
        page: h.page,
        document: { id: h.document.id, source_uri: h.document.sourceUri, title: h.document.title },
      })),
    };
  });
}
