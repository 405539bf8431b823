/**
 * tarEntries reads back what TarWriter writes: every field of every kind of entry, long
 * names and link targets (pax records), and each entry's byte range; GNU tar's listing is
 * the oracle for the names and sizes.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tarEntries } from "../../src/tar/tar-entries.ts";
import { TarWriter } from "../../src/tar/tar-writer.ts";
import { tempDir } from "../helpers/hm.ts";

const scratch = tempDir("hm-tar-entries-");
afterAll(() => scratch.cleanup());

test("every field of what TarWriter wrote, pax records included, as GNU tar lists it", () => {
  const archive = join(scratch.path, "all.tar");
  const long = `deep/${"d".repeat(120)}/${"é".repeat(30)}.txt`;
  const writer = TarWriter.create(archive);
  writer.addDirectory("deep", { mode: 0o750, mtime: 1_600_000_000 });
  writer.addBytes("empty", { mode: 0o600, mtime: 0 }, new Uint8Array(0));
  writer.addBytes("deep/one", { mode: 0o755, mtime: 8 ** 11 - 1 }, new Uint8Array([1]));
  writer.addBytes(long, { mode: 0o644, mtime: 1_700_000_000 }, new Uint8Array(513).fill(7));
  writer.addSymlink("link", "t".repeat(150), { mode: 0o777, mtime: 1 });
  writer.finish();
  const bytes = new Uint8Array(readFileSync(archive));
  const entries = tarEntries(bytes);
  expect(
    entries.map(({ path, type, mode, mtime, size, linkTarget }) => ({
      path,
      type,
      mode,
      mtime,
      size,
      linkTarget,
    })),
  ).toEqual([
    { path: "deep", type: "directory", mode: 0o750, mtime: 1_600_000_000, size: 0, linkTarget: "" },
    { path: "empty", type: "file", mode: 0o600, mtime: 0, size: 0, linkTarget: "" },
    { path: "deep/one", type: "file", mode: 0o755, mtime: 8 ** 11 - 1, size: 1, linkTarget: "" },
    { path: long, type: "file", mode: 0o644, mtime: 1_700_000_000, size: 513, linkTarget: "" },
    { path: "link", type: "symlink", mode: 0o777, mtime: 1, size: 0, linkTarget: "t".repeat(150) },
  ]);
  const one = entries[2];
  expect(bytes.subarray(one?.dataStart, (one?.dataStart ?? 0) + 1)).toEqual(new Uint8Array([1]));
  expect(entries[3]?.end).toBe(entries[4]?.start);
  const listed = Bun.spawnSync(["tar", "-tvf", archive]).stdout.toString().trim().split("\n");
  expect(listed.map((line) => line.split(/\s+/)[2])).toEqual(["0", "0", "1", "513", "0"]);
  expect(listed[3]?.endsWith(long)).toBe(true);
});
