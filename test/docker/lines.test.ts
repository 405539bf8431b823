/**
 * The docker runner's line splitter: whatever way the bytes are cut into chunks, the lines are
 * the stream's lines (CRLF and invalid UTF-8 included), long lines come in pieces, and a
 * character cut by a piece is not lost.
 */
import { expect, test } from "bun:test";
import { LineSplitter } from "../../src/docker/lines.ts";

/** Splits `bytes` into chunks at random places (seeded), feeds them, returns the lines. */
function split(bytes: Uint8Array, seed: number, maxLineBytes?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxLineBytes);
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
  for (let at = 0; at < bytes.length; ) {
    const size = next() % 3 === 0 ? bytes.length : 1 + (next() % 40);
    splitter.push(bytes.subarray(at, at + size));
    at += size;
  }
  splitter.end();
  return lines;
}

test("lines are the same however the stream is chunked: CRLF, empty lines, multibyte and invalid UTF-8", () => {
  const parts = ["a", "", "crlf\r", "é😀 mixed", "\r", "x\r\r", "last"];
  const bytes = new Uint8Array([
    ...new TextEncoder().encode(parts.join("\n")),
    10,
    0xff, // invalid
    0xe2,
    0x82, // a cut sequence before the newline
    10,
    0x61,
  ]);
  const expected = ["a", "", "crlf", "é😀 mixed", "", "x\r", "last", "\uFFFD\uFFFD", "a"];
  for (let seed = 1; seed <= 200; seed++) expect(split(bytes, seed)).toEqual(expected);
});

test("a line longer than the limit comes in pieces, with a character cut by a piece kept whole", () => {
  const line = `${"é".repeat(7)}x`; // 15 bytes, in pieces of at most 5
  const bytes = new TextEncoder().encode(`${line}\nshort\n`);
  for (let seed = 1; seed <= 50; seed++) {
    const lines = split(bytes, seed, 5);
    expect(lines.join("")).toBe(`${line}short`);
    expect(lines.at(-1)).toBe("short");
    expect(lines.length).toBeGreaterThan(3);
  }
});
