/**
 * Reads by index that the scheduler's own bookkeeping keeps in range (every
 * per-step array is sized to the graph's nodes). A miss is hm's bug: it is
 * reported as one, not carried on as `undefined`.
 */
import { HmError } from "../../errors.ts";

export function at<T>(items: ArrayLike<T>, index: number, what: string): T {
  const item = items[index];
  if (item === undefined) {
    throw new HmError("E_INTERNAL", `scheduler: no ${what} at index ${index} (of ${items.length})`);
  }
  return item;
}
