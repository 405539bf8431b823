/**
 * One configuration file: read, parsed with Bun's TOML parser, and located.
 * Bun's parse error carries no usable line (`docs/design.md`,
 * "Configuration and the reference's flags"), so the line is found by parsing growing prefixes of the
 * file: the first prefix that fails with the same message ends on the line
 * at fault.
 */
import { readFileSync } from "node:fs";
import { HmError, messageOf } from "../../errors.ts";

export interface TomlFile {
  readonly path: string;
  readonly data: Record<string, unknown>;
  /** The 1-based line that sets `dotted` (`cloud.org`), when one can be found. */
  lineOf(dotted: string): number | undefined;
}

/** The parsed file, or null when there is none. A file that is not valid TOML stops the command (exit 2). */
export function readTomlFile(path: string): TomlFile | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new HmError("E_CONFIG", `${path}: cannot read it: ${messageOf(error)}`, {
      hint: "make it a readable file, or remove it",
    });
  }
  let data: unknown;
  try {
    data = Bun.TOML.parse(text);
  } catch (error) {
    const reason = messageOf(error).replace(/^TOML Parse error: /, "");
    const line = failingLine(text, messageOf(error));
    throw new HmError(
      "E_CONFIG",
      `${path}${line === undefined ? "" : `:${line}`}: not valid TOML: ${reason}`,
      {
        hint: "fix that line (https://toml.io), or remove the file",
      },
    );
  }
  return { path, data: data as Record<string, unknown>, lineOf: (dotted) => lineOfKey(text, dotted) };
}

function failingLine(text: string, message: string): number | undefined {
  const lines = text.split("\n");
  for (let n = 1; n <= lines.length; n++) {
    try {
      // With its newline: a line cut without it can fail differently ("end of file" for "0x0A").
      Bun.TOML.parse(`${lines.slice(0, n).join("\n")}\n`);
    } catch (error) {
      if (messageOf(error) === message) return n;
    }
  }
  return undefined;
}

/**
 * The line of `key = …` under `[table]` (or `table.key = …` before any
 * table), for `table.key` or a top-level key; for a table, its `[table]` line.
 */
function lineOfKey(text: string, dotted: string): number | undefined {
  const parts = dotted.split(".");
  const key = parts.pop() as string;
  const table = parts.join(".");
  const quoted = (name: string) => `(?:${escapeRegExp(name)}|"${escapeRegExp(name)}")`;
  const plain = new RegExp(`^\\s*${quoted(key)}\\s*=`);
  const dottedForm = table === "" ? null : new RegExp(`^\\s*${quoted(table)}\\s*\\.\\s*${quoted(key)}\\s*=`);
  let current = "";
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    const header = /^\s*\[\s*([^\]]+?)\s*\]/.exec(line);
    if (header !== null) {
      current = (header[1] as string).replaceAll('"', "");
      if (current === dotted) return i + 1;
      continue;
    }
    if (current === table && plain.test(line)) return i + 1;
    if (current === "" && dottedForm?.test(line)) return i + 1;
  }
  return undefined;
}

function escapeRegExp(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
