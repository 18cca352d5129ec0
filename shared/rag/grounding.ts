import { renderPrompt, type Capability } from '../capabilities/index.js';
import { AppError } from '../errors/app-error.js';
import type { ValidationResult } from '../routing/index.js';
import type { Retriever } from './retriever.js';
import type { SearchHit } from './search.js';

/** A capability's prompt with its retrieved context, and the output check that goes with it. */
export interface Grounding {
  prompt: string;
  /** Part of the inference cache key: a different context must never serve a cached answer. */
  cacheContext: unknown;
  /** The capability's schema check, plus (when grounded) "every citation names a chunk that was given". */
  validate(text: string): ValidationResult;
  chunks: SearchHit[];
}

const PLACEHOLDER = /\{\{\s*rag_context\s*\}\}/;

/** The passages as the model sees them: `[chunk id] title › headings` then the text. */
export function contextBlock(chunks: readonly SearchHit[]): string {
  if (chunks.length === 0) return '(no passages found)';
  return chunks
    .map((c) => `[${c.chunkId}] ${[c.document.title, ...c.headingPath.filter((h) => h !== c.document.title)].join(' › ')}\n${c.text}`)
    .join('\n\n');
}

/**
 * Renders the template with the passages where `{{rag_context}}` stands (appended when it does not).
 * The template is rendered around the passages, never over them, so a passage can not inject placeholders.
 */
export function renderGroundedPrompt(template: string, input: unknown, chunks: readonly SearchHit[]): string {
  const context = contextBlock(chunks);
  const [before, ...after] = template.split(PLACEHOLDER);
  if (after.length === 0) return `${renderPrompt(template, input)}\n\nContext passages:\n${context}`;
  return [renderPrompt(before!, input), ...after.map((part) => renderPrompt(part, input))].join(context);
}

/** Citations (an output's `citations`: chunk ids) that are not among the chunks given; undefined when all are. */
export function foreignCitations(output: unknown, given: ReadonlySet<string>): string[] | undefined {
  const citations = (output as { citations?: unknown } | null)?.citations;
  if (!Array.isArray(citations)) return undefined;
  const foreign = citations.filter((c) => typeof c !== 'string' || !given.has(c)).map(String);
  return foreign.length > 0 ? foreign : undefined;
}

/** The text the question is: `question`, `query` or `text` of the input, else the input as JSON. */
export function questionOf(input: unknown): string {
  const fields = (input ?? {}) as Record<string, unknown>;
  for (const key of ['question', 'query', 'text']) if (typeof fields[key] === 'string') return fields[key];
  return JSON.stringify(input);
}

export function retrievalUnavailable(cause: unknown): AppError {
  return new AppError({
    code: 'retrieval_unavailable',
    status: 503,
    title: 'Retrieval unavailable',
    detail: 'The policy passages this capability answers from could not be retrieved; try again shortly.',
    headers: { 'Retry-After': '5' },
    cause,
  });
}

/**
 * For a capability with `rag: true` (and a retriever wired): retrieves the top chunks for the question,
 * puts them into the prompt, keys the cache on their ids, and rejects an output citing any other id
 * (invalid output: the chain moves to its next link). Other capabilities: the plain prompt and schema check.
 */
export async function groundingFor(
  retriever: Retriever | undefined,
  cap: Capability,
  input: unknown,
  prompt: string,
  req: { tenantId: string; topK: number },
): Promise<Grounding> {
  if (!cap.rag || !retriever) return { prompt, cacheContext: undefined, validate: (text) => cap.checkOutput(text), chunks: [] };
  let chunks: SearchHit[];
  try {
    chunks = await retriever.retrieve({ tenantId: req.tenantId, query: questionOf(input), topK: req.topK });
  } catch (err) {
    throw retrievalUnavailable(err);
  }
  const given = new Set(chunks.map((c) => c.chunkId));
  return {
    prompt: renderGroundedPrompt(cap.prompt.template, input, chunks),
    cacheContext: { rag: chunks.map((c) => c.chunkId) },
    chunks,
    validate(text) {
      const checked = cap.checkOutput(text);
      if (!checked.ok) return checked;
      const foreign = foreignCitations(checked.value, given);
      return foreign ? { ok: false, reason: `output cites ${foreign.length} id(s) that are not among the ${given.size} passages given` } : checked;
    },
  };
}
