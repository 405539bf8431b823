/**
 * "Did you mean …?" for a misspelt command, option or pipeline: the nearest candidate
 * by edit distance, counting a swap of two neighbouring letters as one edit
 * (`rnu` → `run`), the commonest typo.
 */

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  // d[i][j]: distance between the first i letters of a and the first j of b.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate nearest to `typed`, or undefined when none is close: at most
 * 2 edits, and at most a third of the typed word (rounded up), so a short
 * word is not "corrected" into an unrelated one. Ties go to the first in order.
 */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(2, Math.ceil(typed.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `: did you mean 'run'?` to append to an error message, or "" when nothing is close. */
export function didYouMean(typed: string, candidates: readonly string[]): string {
  const match = nearest(typed, candidates);
  return match === undefined ? "" : `: did you mean '${match}'?`;
}
