/**
 * The one error the SDK throws at a pipeline author: what is wrong and what
 * to do, as fields. The loader (`../module-render.ts`) adds the file, line
 * and pipeline and turns it into an HmError; the SDK itself knows no error
 * codes or exit codes, which are hm's to choose.
 *
 * `message` keeps the text these errors have always had, `hm: <what>` and an
 * indented `→ <hint>` line, because pipeline code may catch an SDK error and
 * print or compare it; `name` stays "Error" for the same reason. hm never
 * reads the message back: it reads `what` and `hint`.
 */
export class SdkError extends Error {
  /** The mistake, on one line, without the `hm: ` prefix. */
  readonly what: string;
  /** What to do about it, when the SDK can say. */
  readonly hint: string | undefined;

  /**
   * `bare`: the message has no `hm: ` prefix. Kept for the few messages that
   * never had one (they name the API instead, e.g. `pipeline(): …`).
   */
  constructor(what: string, options: { readonly hint?: string; readonly bare?: boolean } = {}) {
    const hintLine = options.hint === undefined ? "" : `\n  → ${options.hint}`;
    super(`${options.bare ? "" : "hm: "}${what}${hintLine}`);
    this.what = what;
    this.hint = options.hint;
  }
}

/** A value the SDK was handed instead of the one it wanted, in a few words for an error message. */
export function describeArgument(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? JSON.stringify(value) : typeof value;
}
