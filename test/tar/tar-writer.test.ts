/**
 * TarWriter on its own: a file whose size changes between its header and
 * its content still gives a valid archive (checked by GNU tar), and the
 * header fields are what the ABI promises.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FileCopy, TarWriter } from "../../src/tar/tar-writer.ts";
import { tempDir } from "../helpers/hm.ts";
import { extract, listing, verboseListing } from "../run/workspace/tree.ts";

const scratch = tempDir("hm-tar-");
afterAll(() => scratch.cleanup());
let counter = 0;

function fresh(): string {
  const path = join(scratch.path, String(++counter));
  mkdirSync(path);
  return path;
}

const meta = { mode: 0o644, mtime: 1_700_000_000 };

/** Writes `content` to a file and adds it to `writer` claiming `size` bytes. */
async function addClaiming(writer: TarWriter, dir: string, name: string, content: Uint8Array, size: number) {
  const source = join(dir, `source-${name}`);
  writeFileSync(source, content);
  const fd = openSync(source, "r");
  try {
    return await writer.addFile(name, meta, size, fd);
  } finally {
    closeSync(fd);
  }
}

describe("TarWriter", () => {
  test("keeps the header's size when a file shrank or grew, so the archive stays valid", async () => {
    const dir = fresh();
    const archive = join(dir, "a.tar");
    const writer = TarWriter.create(archive);
    const bytes = (n: number) => new Uint8Array(n).map((_, i) => 65 + (i % 26));
    const outcomes: Record<string, FileCopy> = {
      shrank: await addClaiming(writer, dir, "shrank", bytes(4), 700),
      grew: await addClaiming(writer, dir, "grew", bytes(1000), 600),
      complete: await addClaiming(writer, dir, "complete", bytes(513), 513),
      "empty-grew": await addClaiming(writer, dir, "empty-grew", bytes(3), 0),
      // 5632 bytes precede this content, which then fills the 1 MiB buffer: the extra byte that tells
      // growth lands in the spare byte past it.
      "grew-at-buffer-end": await addClaiming(
        writer,
        dir,
        "grew-at-buffer-end",
        bytes(2 ** 20),
        2 ** 20 - 5632,
      ),
    };
    writer.addDirectory("after", meta);
    const size = writer.finish();

    expect(outcomes).toEqual({
      shrank: "shrank",
      grew: "grew",
      complete: "complete",
      "empty-grew": "grew",
      "grew-at-buffer-end": "grew",
    });
    expect(size).toBe(readFileSync(archive).length);
    expect(size % 512).toBe(0);
    const out = join(dir, "out");
    extract(archive, out);
    expect(readFileSync(join(out, "shrank"))).toEqual(
      Buffer.concat([Buffer.from("ABCD"), Buffer.alloc(696)]),
    );
    expect(readFileSync(join(out, "grew"))).toEqual(Buffer.from(bytes(600)));
    expect(readFileSync(join(out, "complete"))).toEqual(Buffer.from(bytes(513)));
    expect(readFileSync(join(out, "empty-grew"))).toHaveLength(0);
    expect(readFileSync(join(out, "grew-at-buffer-end"))).toEqual(Buffer.from(bytes(2 ** 20 - 5632)));
    expect(listing(archive).at(-1)).toBe("after/");
  });

  test("writes ustar headers with a valid checksum, owner 0 and no names", () => {
    const dir = fresh();
    const archive = join(dir, "h.tar");
    const writer = TarWriter.create(archive);
    writer.addSymlink("link", "target", { mode: 0o777, mtime: 1_700_000_000.9 });
    writer.finish();
    const header = readFileSync(archive).subarray(0, 512);
    const field = (at: number, width: number) => header.subarray(at, at + width).toString("latin1");

    expect(field(0, 5)).toBe("link\u0000");
    expect(field(100, 8)).toBe("0000777\u0000");
    expect(field(108, 16)).toBe("0000000\u00000000000\u0000");
    expect(field(124, 12)).toBe("00000000000\u0000");
    expect(field(136, 12)).toBe(`${(1_700_000_000).toString(8)}\u0000`);
    expect(field(156, 1)).toBe("2");
    expect(field(157, 7)).toBe("target\u0000");
    expect(field(257, 8)).toBe("ustar\u000000");
    expect(header.subarray(265, 329).every((byte) => byte === 0)).toBe(true);
    const stored = Number.parseInt(field(148, 6), 8);
    const sum = header.reduce((total, byte, i) => total + (i >= 148 && i < 156 ? 0x20 : byte), 0);
    expect(stored).toBe(sum);
    expect(field(154, 2)).toBe("\u0000 ");
    expect(verboseListing(archive)[0]).toContain("link -> target");
  });

  test("an empty archive is two zero blocks", () => {
    const archive = join(fresh(), "empty.tar");
    const writer = TarWriter.create(archive);
    expect(writer.finish()).toBe(1024);
    expect(readFileSync(archive).every((byte) => byte === 0)).toBe(true);
  });
});
