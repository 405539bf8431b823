/**
 * A step's log line made safe to draw inside the progress view (README,
 * "Running a pipeline"): the view redraws itself by moving the cursor up over
 * the lines it drew, so anything in a line that moves the cursor, clears the
 * screen or wraps would tear it.
 */

/**
 * Escape sequences: CSI (colours, cursor moves, clears), OSC (titles,
 * hyperlinks, ended by BEL or ST), and the two-byte ones (ESC 7, ESC c…).
 */
const ESCAPES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]?|\x9b[0-?]*[ -/]*[@-~]/g;
/** What is left of C0 and C1 after the escapes: BEL, backspace, vertical tab, lone ESC… */
// biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;
/**
 * Characters of a line looked at: a minified bundle can print a megabyte on
 * one line, and the view redraws every 80 ms; no terminal is this wide.
 */
const MAX_CHARS = 4096;

/**
 * The text a terminal would end up showing for `line`, on one row: after the
 * last carriage return (a progress bar redraws itself with `\r`; a trailing
 * CRLF's `\r` ends nothing), without escape sequences and control
 * characters, tabs as one space, trimmed.
 */
export function visibleText(line: string): string {
  const body = line.endsWith("\r") ? line.replace(/\r+$/, "") : line;
  const lastReturn = body.lastIndexOf("\r");
  const shown = (lastReturn < 0 ? body : body.slice(lastReturn + 1)).slice(0, MAX_CHARS);
  return shown.replace(ESCAPES, "").replaceAll("\t", " ").replace(CONTROLS, "").trim();
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * `text` (without escapes) cut to at most `columns` terminal columns, with
 * `…` where it was cut; wide characters (CJK, emoji) count two.
 */
export function fitColumns(text: string, columns: number): string {
  if (columns <= 0) return "";
  if (Bun.stringWidth(text) <= columns) return text;
  let out = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const width = Bun.stringWidth(segment);
    if (used + width > columns - 1) break;
    out += segment;
    used += width;
  }
  return `${out}…`;
}
