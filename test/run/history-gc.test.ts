/**
 * `hm gc` and run history (src/run/history/retention.ts, `pruneGoneProjects`): the saved runs
 * of a project whose root is gone are removed, those of a project still there stay, and a run
 * still going is never removed, even when its project is gone. Real runs (shell runner) in a
 * temporary state directory; the engine is pointed at a socket that does not exist, so this
 * `hm gc` reaps no container of anyone else's.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, REPO_ROOT, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-history-gc-");
const projects: { cleanup: () => void }[] = [];
afterAll(() => {
  for (const project of projects) project.cleanup();
  scratch.cleanup();
});

const env = {
  HM_STATE_DIR: join(scratch.path, "state"),
  TMPDIR: join(scratch.path, "tmp"),
  DOCKER_HOST: `unix://${join(scratch.path, "no-engine.sock")}`,
};
mkdirSync(env.TMPDIR, { recursive: true });
const history = join(env.HM_STATE_DIR, "history");

function project(cmd: string) {
  const made = makeProject({ ".hm/ci.ir.json": irJson([{ key: "only", cmd }]) });
  projects.push(made);
  return made.root;
}

/** The project directories of the history, and the run ids in each. */
function saved(): Record<string, string[] | undefined> {
  const out: Record<string, string[] | undefined> = {};
  for (const key of readdirSync(history)) out[key] = readdirSync(join(history, key)).sort();
  return out;
}

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (probe()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("hm gc removes the saved runs of projects that are gone, keeps the others', and never a live run's", async () => {
  const kept = project("echo kept");
  const removed = project("echo removed");
  for (const root of [kept, removed, removed]) {
    const r = await runHm(["run", "--runner", "shell"], { cwd: root, env });
    expect(r.exitCode).toBe(0);
  }
  // A run still going when its project is removed.
  const marker = join(scratch.path, "live-started");
  const live = project(`touch ${marker}; sleep 60`);
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--runner", "shell"], {
    cwd: live,
    env: { ...baseEnv(), ...env },
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await until("the live run's step", () => existsSync(marker));
    const before = saved();
    expect(
      Object.values(before)
        .map((runs) => runs?.length)
        .sort(),
    ).toEqual([1, 1, 2]);
    const projectOf = (key: string) =>
      JSON.parse(readFileSync(join(history, key, before[key]?.[0] as string, "run.json"), "utf8"))
        .project_root as string;
    const keyOf = (root: string) => Object.keys(before).find((key) => projectOf(key) === root) as string;
    const keptKey = keyOf(kept);
    const liveKey = keyOf(live);
    rmSync(removed, { recursive: true });
    rmSync(live, { recursive: true });

    const gc = await runHm(["gc"], { env });
    expect(gc.exitCode).toBe(0);
    expect(gc.stdout).toMatch(/^saved runs of removed projects removed: 2 \(/m);
    expect(saved()).toEqual({ [keptKey]: before[keptKey], [liveKey]: before[liveKey] });

    proc.kill("SIGINT");
    await proc.exited;
    const after = await runHm(["gc"], { env });
    expect(after.stdout).toMatch(/^saved runs of removed projects removed: 1 \(/m);
    expect(saved()).toEqual({ [keptKey]: before[keptKey] });
    // What is left is still listed.
    const runs = await runHm(["runs", "--format", "json"], { cwd: kept, env });
    expect((JSON.parse(runs.stdout) as unknown[]).length).toBe(1);
  } finally {
    proc.kill("SIGKILL");
    await runHm(["gc"], { env }); // the step's sleep, if the run was killed
  }
}, 60_000);
