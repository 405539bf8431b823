/**
 * Files being written that must not outlive a Ctrl-C (or SIGTERM) of a
 * command without a run's signal handling (`hm cache save` writes tars of
 * hundreds of MB): while any is registered, the signal removes them and exits
 * 130 (143 for SIGTERM), as hm does everywhere else.
 */
import { rmSync } from "node:fs";

const pending = new Set<string>();

function onSignal(signal: NodeJS.Signals): void {
  for (const path of pending) rmSync(path, { force: true });
  process.exit(signal === "SIGTERM" ? 143 : 130);
}

/** Registers `path`; the returned function unregisters it once it is complete or removed. */
export function removeIfInterrupted(path: string): () => void {
  if (pending.size === 0) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  pending.add(path);
  return () => {
    pending.delete(path);
    if (pending.size === 0) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  };
}
