/** The scopes a token's space-separated `scope` claim can grant (docs: handbook api.md). */
export const SCOPES = {
  /** Call capabilities, chat completions, embeddings and RAG search for the token's tenant. */
  aiInvoke: 'ai.invoke',
  /** Administer the token's own tenant (budgets, flags). */
  aiAdmin: 'ai.admin',
  /** Administer any tenant. */
  platformAdmin: 'platform.admin',
  /** Review human-in-the-loop tasks. */
  hitlReview: 'hitl.review',
} as const;

export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

export const ALL_SCOPES: readonly Scope[] = Object.values(SCOPES);
