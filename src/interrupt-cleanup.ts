/**
 * Files being written that must not outlive a Ctrl-C (or SIGTERM) of a
 * command without a run's signal handling (`hm cache save` writes tars of
 * hundreds of MB): while any is registered, the first signal removes them
 * and hm exits 130 (143 for SIGTERM), by the one policy of src/signals.ts.
 */
import { rmSync } from "node:fs";
import { handleStopSignals, type StopSignals } from "./signals.ts";

const pending = new Set<string>();
let signals: StopSignals | null = null;

function removePending(): void {
  for (const path of pending) rmSync(path, { force: true });
}

/** Registers `path`; the returned function unregisters it once it is complete or removed. */
export function removeIfInterrupted(path: string): () => void {
  // Nothing to wind down: the first signal forces.
  signals ??= handleStopSignals({ force: removePending });
  pending.add(path);
  return () => {
    pending.delete(path);
    if (pending.size === 0) {
      signals?.dispose();
      signals = null;
    }
  };
}
