/** Small formatting rules the human renderers share (README). */
import type { Paint } from "../../term.ts";

/** `<ms>ms` under 1 s, `<s>.<tenths>s` under 1 min, else `<m>m<s>s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${Math.floor((ms % 60_000) / 1000)}s`;
}

/** A stable colour per step key: h = h*31 + byte (wrapping u32), modulo six colours. */
export function keyColor(key: string, paint: Paint): (s: string) => string {
  const palette = [paint.cyan, paint.magenta, paint.yellow, paint.green, paint.blue, paint.brightRed];
  let h = 0;
  for (const byte of new TextEncoder().encode(key)) h = (Math.imul(h, 31) + byte) >>> 0;
  return palette[h % palette.length] as (s: string) => string;
}

/** Bytes as `12 KB`, `3.4 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Control characters (a multi-line command's newlines, tabs, escapes) would break a line-based layout. */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return text.replace(/[\x00-\x1f\x7f]+/g, " ");
}
