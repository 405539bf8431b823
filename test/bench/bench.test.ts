/**
 * Each benchmark runs at a tiny size (`bun run bench --small <name>`) and produces figures. No
 * timing is asserted here: the figures of a --small run mean nothing.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { benchmarks } from "../../bench/lib/registry.ts";
import { REPO_ROOT, tempDir } from "../helpers/hm.ts";

const scratch = tempDir("hm-bench-smoke-");
afterAll(() => scratch.cleanup());

for (const bench of benchmarks) {
  test(`benchmark '${bench.name}' runs on a small size and reports figures`, async () => {
    const out = join(scratch.path, `${bench.name}.md`);
    const proc = Bun.spawn(
      [process.execPath, join(REPO_ROOT, "bench", "run.ts"), "--small", "--out", out, bench.name],
      { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore" },
    );
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
    const results = readFileSync(out, "utf8");
    expect(results).toContain(`## ${bench.title}`);
    // At least one table with a data row holding a number.
    expect(results).toMatch(/\n\|[^\n]*\d[^\n]*\|\n/);
    expect(stdout).toContain(bench.title);
  }, 180_000);
}
