import type { Config } from '../config/index.js';
import type { EmbeddingProvider, LlmProvider, ProviderName } from './port.js';
import { createDeterministicProvider } from './deterministic/index.js';
import { createLocalHashingEmbedder } from './embeddings/local-hashing.js';

/**
 * The LLM providers the config enables. A vendor is enabled only when its credentials are configured
 * (Vertex: a project; Anthropic/OpenAI: an API key); the deterministic provider always is. Vendor SDKs are
 * imported only when used, so embedded start-up stays fast. Shared by the orchestrator and the jobs.
 */
export async function configuredLlmProviders(config: Config): Promise<Partial<Record<ProviderName, LlmProvider>>> {
  const { vertex, anthropic, openai } = config.providers;
  const providers: Partial<Record<ProviderName, LlmProvider>> = {
    deterministic: createDeterministicProvider({ capabilities: config.capabilities }),
  };
  if (vertex.project) {
    const { createVertexProvider } = await import('./vertex/index.js');
    // Gemini 2.5 counts thinking tokens against maxOutputTokens; these capabilities need the answer, not the thoughts.
    providers.vertex = createVertexProvider({ project: vertex.project, location: vertex.location, thinkingBudget: 0, ...(vertex.baseUrl ? { baseUrl: vertex.baseUrl } : {}) });
  }
  if (anthropic.apiKey) {
    const { createAnthropicProvider } = await import('./anthropic/index.js');
    providers.anthropic = createAnthropicProvider({ apiKey: anthropic.apiKey, ...(anthropic.baseUrl ? { baseUrl: anthropic.baseUrl } : {}) });
  }
  if (openai.apiKey) {
    const { createOpenAiProvider } = await import('./openai/index.js');
    providers.openai = createOpenAiProvider({ apiKey: openai.apiKey, ...(openai.baseUrl ? { baseUrl: openai.baseUrl } : {}) });
  }
  return providers;
}

/** Vertex text embeddings when a Google project is configured, else the local hashing embedder of the same dimension. */
export async function configuredEmbedder(config: Config): Promise<EmbeddingProvider> {
  const { vertex, embeddings } = config.providers;
  if (!vertex.project) return createLocalHashingEmbedder({ dimensions: embeddings.dimensions });
  const { createVertexEmbedder } = await import('./embeddings/index.js');
  return createVertexEmbedder({ project: vertex.project, location: vertex.location, model: embeddings.model, dimensions: embeddings.dimensions, ...(vertex.baseUrl ? { baseUrl: vertex.baseUrl } : {}) });
}
