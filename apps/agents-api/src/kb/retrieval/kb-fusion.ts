/** Reciprocal rank fusion's constant (Cormack et al. 2009): damps the weight of the very first ranks. */
export const RRF_K = 60;

/**
 * Reciprocal rank fusion of ranked id lists (best first): score(id) = Σ 1 / (RRF_K + rank), rank 1-based. Ids found by
 * several lists rise; ties keep the order of first appearance. Scores are scaled to [0, 1) by the best possible score
 * (first in every list), so they read like the full-text scores.
 */
export function reciprocalRankFusion(lists: readonly (readonly string[])[], limit: number): { id: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const list of lists) {
    list.forEach((id, index) => scores.set(id, (scores.get(id) ?? 0) + 1 / (RRF_K + index + 1)));
  }
  const best = lists.length / (RRF_K + 1);
  return [...scores.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([id, score]) => ({ id, score: Math.min(score / best, 0.999999) }));
}
