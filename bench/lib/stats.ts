/** Samples and their summary: the median, with the min–max spread beside it (the machines are noisy). */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("no samples to summarize");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, count: sorted.length };
}

/** Pairwise ratios a[i] / b[i]: taken run by run, so a drift of the machine's speed cancels out. */
export function ratios(a: readonly number[], b: readonly number[]): Summary {
  const n = Math.min(a.length, b.length);
  return summarize(Array.from({ length: n }, (_, i) => (a[i] as number) / (b[i] as number)));
}

/** A number with about three significant digits. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString("en-US");
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

/** "12.3 (11.9–14.0)": median, then the spread. */
export function spread(s: Summary, scale = 1): string {
  return `${fmt(s.median * scale)} (${fmt(s.min * scale)}–${fmt(s.max * scale)})`;
}

/** "3.2×", a ratio's median with its spread. */
export function times(s: Summary): string {
  return `${fmt(s.median)}× (${fmt(s.min)}–${fmt(s.max)})`;
}

export interface Contender {
  readonly name: string;
  /** One operation; may be async. */
  readonly op: () => unknown;
  /** Operations per batch: fewer for slow contenders, so each batch takes a similar time. */
  readonly perBatch: number;
}

/**
 * Times every contender in `batches` rounds, one batch of each per round (A B C, A B C, ...),
 * after a warm-up round, so the machine's drift hits them alike and ratios can be taken round by
 * round. Returns each contender's mean µs per operation, one figure per round.
 */
export async function interleaved(contenders: readonly Contender[], batches: number): Promise<number[][]> {
  const runBatch = async (c: Contender) => {
    const started = Bun.nanoseconds();
    for (let i = 0; i < c.perBatch; i++) {
      const result = c.op();
      if (result instanceof Promise) await result;
    }
    return (Bun.nanoseconds() - started) / 1_000 / c.perBatch;
  };
  for (const c of contenders) await runBatch(c);
  const samples = contenders.map(() => [] as number[]);
  for (let b = 0; b < batches; b++) {
    for (const [i, c] of contenders.entries()) samples[i]?.push(await runBatch(c));
  }
  return samples;
}
