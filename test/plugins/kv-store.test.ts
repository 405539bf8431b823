/**
 * The plugin KV store shared by processes: hm runs side by side (and their
 * workers) open, write and close one database file at once.
 */
import { afterAll, expect, test } from "bun:test";
import { chmodSync, statSync } from "node:fs";
import { join } from "node:path";
import { KvStore } from "../../src/plugins/kv-store.ts";
import { tempDir } from "../helpers/hm.ts";

const scratch = tempDir("hm-kv-");
afterAll(() => scratch.cleanup());

test("six processes opening a new database at once, 200 times each: no 'database is locked'", async () => {
  for (let round = 0; round < 3; round++) {
    const path = join(scratch.path, `round-${round}.sqlite`);
    const procs = Array.from({ length: 6 }, () =>
      Bun.spawn([process.execPath, join(import.meta.dir, "kv-open-close.ts"), path, "200"], {
        stdout: "pipe",
        stderr: "pipe",
      }),
    );
    const results = await Promise.all(
      procs.map(async (p) => ({
        failures: (await new Response(p.stdout).text()).trim(),
        stderr: await new Response(p.stderr).text(),
      })),
    );
    for (const r of results) expect(r).toEqual({ failures: "0", stderr: "" });
  }
}, 60_000);

/** Permission bits of a real file, as `ls -l` would show them (octal). */
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

test("the database, its -wal and -shm files are 0600 and a new state directory 0700, whatever the umask", () => {
  const previous = process.umask(0o022); // the usual umask, under which SQLite makes files 0644
  try {
    const state = join(scratch.path, "fresh", "state");
    const kv = new KvStore(join(state, "kv.sqlite"));
    kv.set("plugin", "p", new Uint8Array([1]), new Uint8Array([2]));
    expect(modeOf(join(state, "kv.sqlite"))).toBe("600");
    expect(modeOf(join(state, "kv.sqlite-wal"))).toBe("600");
    expect(modeOf(join(state, "kv.sqlite-shm"))).toBe("600");
    expect(modeOf(state)).toBe("700");
    expect(modeOf(join(scratch.path, "fresh"))).toBe("700");
    kv.close();
  } finally {
    process.umask(previous);
  }
});

test("a database and journals an earlier hm left readable by others are tightened to 0600 when opened", () => {
  const previous = process.umask(0o022);
  try {
    const path = join(scratch.path, "older", "kv.sqlite");
    const first = new KvStore(path);
    first.set("plugin", "p", new Uint8Array([1]), new Uint8Array([2]));
    for (const file of [path, `${path}-wal`, `${path}-shm`]) chmodSync(file, 0o644);
    // Still open, so its -wal and -shm stay: the second opener finds all three at 0644.
    const second = new KvStore(path);
    expect([path, `${path}-wal`, `${path}-shm`].map(modeOf)).toEqual(["600", "600", "600"]);
    expect(second.get("plugin", "p", new Uint8Array([1]))).toEqual(new Uint8Array([2]));
    second.close();
    first.close();
  } finally {
    process.umask(previous);
  }
});
