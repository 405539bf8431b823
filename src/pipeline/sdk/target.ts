/** Memoised fixtures: `target(name, fn)` returns a getter that computes `fn()` once per render. */
const memo = new Map<symbol, unknown>();

export function target<T>(name: string, fn: () => T): () => T {
  const id = Symbol(name);
  return () => {
    if (!memo.has(id)) memo.set(id, fn());
    return memo.get(id) as T;
  };
}

export function clearTargetCache(): void {
  memo.clear();
}
