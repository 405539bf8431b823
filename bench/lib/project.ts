/** Throwaway hm projects for whole-command benchmarks: a pipeline IR in `.hm/<slug>.ir.json`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KvStore } from "../../src/plugins/kv-store.ts";
import { kvDatabasePath } from "../../src/plugins/paths.ts";
import { irJson, type TestStep } from "../../test/helpers/ir.ts";

export type Edge = [string, string, "builds_in" | "depends_on"];

export function writeProject(root: string, steps: TestStep[], edges: Edge[] = [], slug = "bench"): string {
  mkdirSync(join(root, ".hm"), { recursive: true });
  writeFileSync(join(root, ".hm", `${slug}.ir.json`), irJson(steps, edges));
  return root;
}

/**
 * Environment for one `hm run`: its own home, state and temp directories under `base`. The KV
 * database is created here, before hm starts, so a timed run never includes hm's workers
 * racing to create it (the loser retries: src/plugins/kv-store.ts).
 */
export function hmEnv(base: string, extra: Record<string, string> = {}): Record<string, string> {
  for (const dir of ["home", "state", "tmp"]) mkdirSync(join(base, dir), { recursive: true });
  new KvStore(kvDatabasePath({ HM_STATE_DIR: join(base, "state") })).close();
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: join(base, "home"),
    HM_STATE_DIR: join(base, "state"),
    TMPDIR: join(base, "tmp"),
    NO_COLOR: "1",
    ...extra,
  };
}
