/**
 * Mistakes the SDK names without stopping on them (an option it does not
 * know). The loader collects them while it evaluates one pipeline file and
 * prints each once, at the line of the pipeline file that made the call; the
 * rendered IR is left exactly as the reference SDK would render it.
 */

export interface SdkWarning {
  readonly message: string;
  /** The stack of the SDK call, from which the loader finds the pipeline file's frame. */
  readonly stack: string;
}

/** Deep enough to get through the SDK and toolchain helpers to the pipeline file's frame. */
const STACK_DEPTH = 64;

let collected: SdkWarning[] | null = null;

export function sdkWarning(message: string): void {
  // The SDK evaluated outside hm's loader (a unit test, a script): nobody to tell.
  if (collected === null) return;
  const depth = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_DEPTH;
  const stack = new Error(message).stack ?? "";
  Error.stackTraceLimit = depth;
  collected.push({ message, stack });
}

/** Runs `evaluate`, then hands every warning raised meanwhile to `report` (also when it throws). */
export async function collectSdkWarnings<T>(
  evaluate: () => Promise<T>,
  report: (warnings: readonly SdkWarning[]) => void,
): Promise<T> {
  const outer = collected;
  const mine: SdkWarning[] = [];
  collected = mine;
  try {
    return await evaluate();
  } finally {
    collected = outer;
    report(mine);
  }
}
