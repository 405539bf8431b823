/**
 * The plugin KV store shared by processes: hm runs side by side (and their
 * workers) open, write and close one database file at once.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
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
