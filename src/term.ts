/**
 * Terminal facts and colour. TTY checks go through libc's isatty via bun:ffi:
 * touching `process.stdout`/`node:tty` costs 10–20 ms of start-up in a
 * compiled binary (`docs/design.md`, "Bun facts hm is built on"), isatty costs nothing.
 */
import { dlopen } from "bun:ffi";

let isattyFn: ((fd: number) => number) | null | undefined;

function loadIsatty(): ((fd: number) => number) | null {
  const libc = process.platform === "darwin" ? "libSystem.B.dylib" : "libc.so.6";
  try {
    const lib = dlopen(libc, { isatty: { args: ["i32"], returns: "i32" } });
    return (fd) => lib.symbols.isatty(fd);
  } catch {
    return null;
  }
}

export function isTTY(fd: 0 | 1 | 2): boolean {
  if (isattyFn === undefined) isattyFn = loadIsatty();
  if (isattyFn !== null) return isattyFn(fd) === 1;
  const stream = fd === 0 ? process.stdin : fd === 1 ? process.stdout : process.stderr;
  return (stream as { isTTY?: boolean }).isTTY === true;
}

let noColorFlag = false;

/** Set once by the CLI when `--no-color` is given. */
export function disableColor(): void {
  noColorFlag = true;
}

/** Colour is on iff no `--no-color`, `NO_COLOR` unset or empty, and the stream is a terminal. */
export function colorEnabled(fd: 1 | 2): boolean {
  if (noColorFlag) return false;
  const noColor = process.env.NO_COLOR;
  if (noColor !== undefined && noColor !== "") return false;
  return isTTY(fd);
}

export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  blue(s: string): string;
  magenta(s: string): string;
  brightRed(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const sgr =
  (open: number, close: number) =>
  (s: string): string =>
    `\x1b[${open}m${s}\x1b[${close}m`;

const ansi: Paint = {
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
  blue: sgr(34, 39),
  magenta: sgr(35, 39),
  brightRed: sgr(91, 39),
  bold: sgr(1, 22),
  dim: sgr(2, 22),
};

const plain: Paint = {
  red: (s) => s,
  green: (s) => s,
  yellow: (s) => s,
  cyan: (s) => s,
  blue: (s) => s,
  magenta: (s) => s,
  brightRed: (s) => s,
  bold: (s) => s,
  dim: (s) => s,
};

/** Painters for text written to `fd`: ANSI when colour is on there, identity otherwise. */
export function paintFor(fd: 1 | 2): Paint {
  return colorEnabled(fd) ? ansi : plain;
}
