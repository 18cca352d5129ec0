/** A candidate found by vector search, full-text search, or both (1-based ranks). */
export interface Ranked {
  id: string;
  vectorRank: number | null;
  textRank: number | null;
}

/** k of reciprocal rank fusion (Cormack et al., 2009): damps the lead of a single list's top ranks. */
export const RRF_K = 60;

/**
 * Reciprocal rank fusion: score = Σ 1 / (k + rank) over the lists that found the candidate; best first,
 * ties broken by the better vector rank, then the id (stable order for equal input).
 */
export function fuseRanks<T extends Ranked>(candidates: readonly T[], k = RRF_K): Array<T & { score: number }> {
  const scored = candidates.map((c) => ({
    ...c,
    score: (c.vectorRank ? 1 / (k + c.vectorRank) : 0) + (c.textRank ? 1 / (k + c.textRank) : 0),
  }));
  return scored.sort((a, b) => b.score - a.score || (a.vectorRank ?? Infinity) - (b.vectorRank ?? Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
