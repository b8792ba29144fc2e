// "Did you mean …?" for unknown config keys: the closest known key by edit distance, if it is close enough
// to be a typo rather than a different word.

/**
 * The number of single-character insertions, deletions, substitutions and swaps of two neighbours that turn
 * `a` into `b` (optimal string alignment distance).
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j] = distance between the first i characters of a and the first j characters of b
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** Lower case without '_' and '-', so that `rsync_args` and `RsyncArgs` both match `rsyncArgs`. */
function fold(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/**
 * The known key that `unknown` was most likely meant to be, or undefined when none is close.
 * Close means: equal once case, '_' and '-' are ignored, or at most 1 edit away for short keys
 * (up to 4 characters) and at most 2 edits away for longer ones.
 */
export function suggest(unknown: string, known: readonly string[]): string | undefined {
  const folded = fold(unknown);
  const sameWord = known.find((key) => fold(key) === folded);
  if (sameWord !== undefined) return sameWord;

  const limit = folded.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const key of known) {
    const distance = editDistance(folded, fold(key));
    if (distance < bestDistance) {
      best = key;
      bestDistance = distance;
    }
  }
  return best;
}
