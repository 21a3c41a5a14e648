// "Did you mean …?" for configuration mistakes: the nearest known word by edit
// distance, and a readable list of the known ones.

/** Edit distance where swapping two neighbouring letters counts as one edit (`lgos` → `logs`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      let best = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
  }
  return (d[rows - 1] as number[])[cols - 1] as number;
}

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a
 * plausible typo (more than a third of the word changed, and more than two edits).
 * Case and `_`/`-` are ignored, so `otlp_http` finds `otlphttp`.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[_-]/g, '');
  const w = norm(word);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const dist = editDistance(w, norm(c));
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(2, Math.floor(w.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

/** `a, b, c` sorted, or `(none)`. */
export function knownList(candidates: Iterable<string>): string {
  const all = [...candidates].sort();
  return all.length === 0 ? '(none)' : all.join(', ');
}

/** `did you mean "x"? ` when there is a near match, else ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const n = nearest(word, candidates);
  return n === undefined ? '' : `did you mean "${n}"? `;
}
