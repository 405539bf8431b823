/** Raw text plugins write during a run, while a live view owns stderr: whole lines, per stream. */
import { expect, test } from "bun:test";
import { createLogger, pluginTextWriter, routeLines } from "../../src/log.ts";

test("each stream keeps its own partial line; a multi-byte character split across writes survives", () => {
  const lines: string[] = [];
  const log = createLogger({ verbose: false });
  routeLines(log, (line) => lines.push(line));
  const text = pluginTextWriter(log);
  const bytes = (s: string) => new TextEncoder().encode(s);
  const euro = bytes("€"); // three bytes
  text.write(1, bytes("out-a "));
  text.write(2, bytes("err-1\n"));
  text.write(1, euro.subarray(0, 1));
  text.write(1, euro.subarray(1));
  text.write(1, bytes(" out-b\nout-c"));
  expect(lines).toEqual(["err-1", "out-a € out-b"]);
  text.flush(); // the call ended: its last line had no newline
  expect(lines).toEqual(["err-1", "out-a € out-b", "out-c"]);
  text.flush();
  expect(lines).toHaveLength(3);
});
