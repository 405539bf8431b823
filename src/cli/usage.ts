/**
 * A command's help text: citty's renderer, with three things changed. An
 * enum with a `valueHint` shows the hint, its choices going into the
 * description (a long choice list would push every description off the
 * screen); the flag and command columns are left-aligned, with no padding at
 * the ends of lines (citty right-aligns the first column); and the text ends
 * with a newline, so a shell prompt does not start on its last line.
 */
import { type ArgDef, type ArgsDef, renderUsage } from "citty";
import { colorEnabled } from "../term.ts";
import { type AnyCommand, resolveValue } from "./command-args.ts";

/** Help for `command`; `parentName` is the path above it, e.g. "hm plugin". */
export async function renderHelp(command: AnyCommand, parentName: string): Promise<string> {
  const args = command.args === undefined ? undefined : shownArgs(await resolveValue(command.args));
  const shown = args === undefined ? command : { ...command, args };
  const text = await renderUsage(shown, parentName ? { meta: { name: parentName } } : undefined);
  const plain = colorEnabled(1) ? text : Bun.stripANSI(text);
  const aligned = plain.trimEnd().split("\n\n").map(alignTable).join("\n\n");
  return `${aligned
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")}\n`;
}

function shownArgs(args: ArgsDef): ArgsDef {
  const out: ArgsDef = {};
  for (const [name, def] of Object.entries(args)) out[name] = shownArg(def);
  return out;
}

function shownArg(def: ArgDef): ArgDef {
  if (def.type !== "enum" || def.valueHint === undefined || def.options === undefined) return def;
  const choices = `one of: ${def.options.join(", ")}`;
  const { options: _, ...rest } = def;
  return {
    ...rest,
    type: "string",
    description: def.description ? `${def.description}; ${choices}` : choices,
  };
}

/** citty's table row: two spaces, padding, the first cell, four spaces, the second cell, padding. */
const ROW = /^ {2} *(\S(?:(?! {4}).)*?)(?: {4}(.*?))?\s*$/;

/** A paragraph of two-column rows, left-aligned; any other paragraph unchanged. */
function alignTable(paragraph: string): string {
  const lines = paragraph.split("\n");
  const rows = lines.map((line) => ROW.exec(line));
  if (rows.some((row) => row === null)) return paragraph;
  const found = rows.map((row) => [row?.[1] ?? "", row?.[2] ?? ""] as const);
  // Long-only flags line up with the long names of flags that have a short one (`-d, --dir`).
  const hasShort = found.some(([first]) => /^-\w, /.test(Bun.stripANSI(first)));
  const cells = found.map(([first, second]) =>
    hasShort && Bun.stripANSI(first).startsWith("--")
      ? ([`    ${first}`, second] as const)
      : ([first, second] as const),
  );
  const width = Math.max(...cells.map(([first]) => Bun.stringWidth(first)));
  return cells
    .map(([first, second]) =>
      second === "" ? `  ${first}` : `  ${first}${" ".repeat(width - Bun.stringWidth(first) + 4)}${second}`,
    )
    .join("\n");
}
