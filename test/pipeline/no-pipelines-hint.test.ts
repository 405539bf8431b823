/** A project with no pipelines: the hint names the file `hm init` would write there. */
import { afterEach, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PIPELINE_FILE } from "../../src/init/init-project.ts";
import { runHm, tempDir } from "../helpers/hm.ts";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

for (const [what, withHmDir] of [
  ["no .hm/", false],
  ["an empty .hm/", true],
] as const) {
  test(`with ${what}, hm run and hm run SLUG name the file hm init writes`, async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    if (withHmDir) mkdirSync(join(dir.path, ".hm"));
    for (const args of [["run"], ["run", "ci"]]) {
      const result = await runHm([...args, "-d", dir.path]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`(hm init writes a starter to .hm/${PIPELINE_FILE})`);
    }
  });
}
