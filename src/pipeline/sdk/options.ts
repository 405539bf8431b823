/**
 * Option bags are checked for names the SDK does not know, because a typo
 * (`lable`, `timeout_seconds`) would otherwise be dropped without a word and
 * the step would run without it. Only a warning: the reference SDK ignores
 * extra keys, and pipelines written for it must render the same here.
 */
import { sdkWarning } from "./warnings.ts";

/** What to suggest for a name that no spelling distance leads to. */
export type OptionHints = Readonly<Record<string, (value: unknown) => string>>;

/** Warns once per unknown key of `bag`, naming the nearest known option. */
export function warnUnknownOptions(
  bag: object,
  known: readonly string[],
  what: string,
  hints: OptionHints = {},
): void {
  for (const [name, value] of Object.entries(bag)) {
    if (known.includes(name)) continue;
    const close = nearestName(name, known);
    const hint = close !== undefined ? `'${close}'` : hints[normalized(name)]?.(value);
    sdkWarning(`unknown ${what} '${name}'${hint === undefined ? "" : ` (did you mean ${hint}?)`}`);
  }
}

/**
 * The known name closest to `name`: the same once case, `_` and `-` are
 * ignored (`runner_args`), else within a third of its length in edits
 * (adjacent swaps count once, so `lable` is one edit from `label`).
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const wanted = normalized(name);
  const same = known.find((k) => normalized(k) === wanted);
  if (same !== undefined) return same;
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(wanted, normalized(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function normalized(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, "");
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const d = new Uint16Array((a.length + 1) * width);
  const at = (i: number, j: number): number => d[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i++) {
    for (let j = 0; j <= b.length; j++) {
      let best = Math.max(i, j);
      if (i > 0 && j > 0) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          best = Math.min(best, at(i - 2, j - 2) + 1);
        }
      }
      d[i * width + j] = best;
    }
  }
  return at(a.length, b.length);
}
