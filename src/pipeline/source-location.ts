/**
 * Where in the project's own files something happened, for messages that
 * name the file and line: the project frames of a stack (hm's sources and
 * node_modules left out), and the position Bun gives a file it cannot parse
 * or an import it cannot resolve.
 */
import { readFileSync, realpathSync } from "node:fs";
import { dirname, relative } from "node:path";

interface SourcePosition {
  /** Absolute path. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** hm's own modules (the SDK, the toolchain helpers, the loader): never the user's mistake. */
const HM_SOURCES = `${dirname(import.meta.dir)}/`;

const FRAME = /^\s*at (?:.*\()?((?:\/|[A-Za-z]:[\\/]).*?):(\d+):(\d+)\)?\s*$/;

/** The frames of `stack` in files under `root`, innermost first. */
export function projectFrames(stack: string, root: string): SourcePosition[] {
  const roots = rootPrefixes(root);
  const frames: SourcePosition[] = [];
  for (const line of stack.split("\n")) {
    const match = FRAME.exec(line);
    if (!match) continue;
    const file = match[1] as string;
    if (file.startsWith(HM_SOURCES) || file.includes("/node_modules/")) continue;
    if (!roots.some((prefix) => file.startsWith(prefix))) continue;
    frames.push({ file, line: Number(match[2]), column: Number(match[3]) });
  }
  return frames;
}

function rootPrefixes(root: string): string[] {
  const prefixes = [`${root}/`];
  try {
    const real = realpathSync(root);
    if (real !== root) prefixes.push(`${real}/`);
  } catch {
    // A root that vanished mid-load: the path as given is all there is.
  }
  return prefixes;
}

/** `file` as the user sees it: relative to the project root. */
export function shownPath(file: string, root: string): string {
  const shown = relative(root, file);
  return shown === "" || shown.startsWith("..") ? file : shown;
}

interface BunLoadError {
  readonly message: string;
  readonly position: SourcePosition | null;
}

interface BunMessageLike {
  message?: unknown;
  position?: { file?: unknown; line?: unknown; column?: unknown } | null;
  specifier?: unknown;
  referrer?: unknown;
}

/**
 * Bun reports a file it cannot parse as a BuildMessage (several at once as an
 * AggregateError of them), and an import it cannot find as a ResolveMessage,
 * which carries no position: the import is looked up in the importing file.
 */
export function bunLoadError(error: unknown): BunLoadError | null {
  const errors = (error as { errors?: unknown } | null)?.errors;
  const first = (Array.isArray(errors) ? errors[0] : error) as BunMessageLike | null | undefined;
  const name = (first as { name?: unknown } | null | undefined)?.name;
  if (name !== "BuildMessage" && name !== "ResolveMessage") return null;
  if (typeof first?.message !== "string") return null;
  const position = first.position;
  if (
    position != null &&
    typeof position.file === "string" &&
    typeof position.line === "number" &&
    typeof position.column === "number"
  ) {
    return {
      message: first.message,
      position: { file: position.file, line: position.line, column: position.column },
    };
  }
  if (typeof first.specifier === "string" && typeof first.referrer === "string") {
    return { message: first.message, position: importPosition(first.referrer, first.specifier) };
  }
  return { message: first.message, position: null };
}

/** The line and column of the first quoted `specifier` in `file`. */
function importPosition(file: string, specifier: string): SourcePosition | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    const at = ['"', "'", "`"].map((q) => line.indexOf(`${q}${specifier}${q}`)).find((n) => n >= 0);
    if (at !== undefined) return { file, line: i + 1, column: at + 1 };
  }
  return null;
}
