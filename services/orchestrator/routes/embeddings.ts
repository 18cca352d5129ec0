import { principalOf, requireScope, SCOPES } from '../../../shared/auth/index.js';
import { bodyValidator, type HttpApp } from '../../../shared/http/index.js';
import { embed } from '../../../shared/inference/embed.js';
import type { InferenceDeps } from '../../../shared/inference/types.js';
import type { EmbeddingProvider } from '../../../shared/providers/port.js';

interface EmbeddingsBody {
  model?: string;
  input: string | string[];
  encoding_format?: 'float' | 'base64';
}

const parseBody = bodyValidator<EmbeddingsBody>({
  type: 'object',
  required: ['input'],
  properties: {
    model: { type: 'string' },
    input: {
      anyOf: [
        { type: 'string', minLength: 1, maxLength: 32000 },
        { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', minLength: 1, maxLength: 32000 } },
      ],
    },
    encoding_format: { type: 'string', enum: ['float', 'base64'] },
    dimensions: { type: 'integer' },
    user: { type: 'string' },
  },
});

/** POST /v1/embeddings, OpenAI-compatible; `model` is informational: the tenant gets the configured embedder. */
export function embeddingRoutes(app: HttpApp, opts: { inference: InferenceDeps; embedder: EmbeddingProvider }): void {
  app.post('/v1/embeddings', { preHandler: requireScope(SCOPES.aiInvoke) }, async (request) => {
    const body = parseBody(request.body ?? {});
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    const result = await embed(Object.assign({}, opts.inference, { embedder: opts.embedder }), { principal: principalOf(request), texts });
    return {
      object: 'list',
      model: result.model,
      data: result.vectors.map((v, index) => ({
        object: 'embedding',
        index,
        embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
      })),
      usage: { prompt_tokens: result.inputTokens, total_tokens: result.inputTokens },
      ai_orchestrator: { call_id: result.callId, cost_micros: result.costMicros },
    };
  });
}
