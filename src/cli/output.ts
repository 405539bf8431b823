/**
 * Writing to stdout and stderr. `Bun.write` resolves once the bytes are
 * handed to the OS, so nothing is lost when the process exits right after.
 */
import { HmError, messageOf } from "../errors.ts";
import { paintFor } from "../term.ts";

export async function writeStdout(text: string): Promise<void> {
  await Bun.write(Bun.stdout, text);
}

export async function writeStderr(text: string): Promise<void> {
  await Bun.write(Bun.stderr, text);
}

/** The one place errors are printed: `✘ <message>` then `→ <hint>`. */
export async function printError(error: unknown, verbose: boolean): Promise<void> {
  const paint = paintFor(2);
  const lines: string[] = [];
  if (error instanceof HmError) {
    lines.push(`${paint.bold(paint.red("✘"))} ${error.message}`);
    if (error.hint !== undefined) lines.push(`${paint.dim("→")} ${error.hint}`);
    if (verbose && error.cause instanceof Error && error.cause.stack)
      lines.push(paint.dim(error.cause.stack));
  } else {
    lines.push(`${paint.bold(paint.red("error:"))} ${messageOf(error)}`);
    if (error instanceof Error && error.stack) {
      lines.push(verbose ? paint.dim(error.stack) : paint.dim("(run with -v for the stack trace)"));
    }
  }
  await writeStderr(`${lines.join("\n")}\n`);
}
