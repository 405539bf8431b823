/**
 * Pipeline files are evaluated in a process of their own with a time limit:
 * whatever a file does (process.exit, an endless loop, an await that never
 * settles, a thrown non-error), hm ends with exit 2 naming the file, and never
 * with the file's own exit code or a hang. Real projects, the real CLI.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { cpuSeconds, running } from "../helpers/processes.ts";
import { makeProject } from "../helpers/project.ts";

const projects: { cleanup: () => void }[] = [];
afterAll(() => {
  for (const p of projects) p.cleanup();
});

/** A project whose only pipeline fails if it ever runs, with `statement` at the top of the file. */
function projectWith(statement: string): string {
  const project = makeProject({
    ".hm/ci.ts": [
      'import { pipeline, sh } from "@harmont/hm";',
      statement,
      'export default { slug: "ci", pipeline: pipeline([sh("exit 1", { label: "fails" })]) };',
      "",
    ].join("\n"),
  });
  projects.push(project);
  return project.root;
}

const scratch = tempDir("hm-containment-");
afterAll(() => scratch.cleanup());

/** `hm run --runner shell` with its own state and temp directories. */
function hmRun(root: string, env: Record<string, string> = {}) {
  const dirs = runDirs(scratch.path);
  return runHm(["run", "ci", "--runner", "shell", "-d", root, "--logs"], {
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, ...env },
  });
}

describe("a pipeline file cannot end or stall hm", () => {
  test("process.exit(0) in a pipeline file is exit 2 naming the file, for hm run and hm render", async () => {
    const root = projectWith("process.exit(0);");
    for (const result of [await hmRun(root), await runHm(["render", "ci", "-d", root])]) {
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(".hm/ci.ts: its evaluation ended with exit code 0");
      expect(result.stderr).toContain("process.exit()");
      expect(result.stdout).toBe("");
    }
  });

  test("an endless loop is stopped at HM_EVAL_TIMEOUT, exit 2 naming the file", async () => {
    const root = projectWith("while (true) {}");
    const result = await runHm(["render", "ci", "-d", root], { env: { HM_EVAL_TIMEOUT: "1" } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(".hm/ci.ts: still evaluating after 1 s");
    expect(result.stderr).toContain("HM_EVAL_TIMEOUT");
  });

  test("a top-level await that never settles stops hm run at HM_EVAL_TIMEOUT, exit 2, nothing runs", async () => {
    const root = projectWith("await new Promise(() => {});");
    const result = await hmRun(root, { HM_EVAL_TIMEOUT: "1.5" });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(".hm/ci.ts: still evaluating after 1.5 s");
    expect(result.stdout).not.toContain("[fails]");
  });

  test("throw 42 and throw null are exit 2 naming the file and what was thrown", async () => {
    const cases = [
      ["throw 42;", ".hm/ci.ts: threw the number 42, not an Error"],
      ["throw null;", ".hm/ci.ts: threw null, not an Error"],
    ] as const;
    for (const [statement, message] of cases) {
      const result = await runHm(["render", "ci", "-d", projectWith(statement)]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain("throw new Error");
    }
  });

  test("a crash of the evaluating process names the file and the signal", async () => {
    const root = projectWith('process.kill(process.pid, "SIGSEGV");');
    const result = await runHm(["render", "ci", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(".hm/ci.ts: its evaluation was killed by SIGSEGV");
  });

  test("the file that overran is named, not the ones before it", async () => {
    const project = makeProject({
      ".hm/a.ts":
        'import { pipeline, sh } from "@harmont/hm";\nexport default { slug: "a", pipeline: pipeline([sh("true")]) };\n',
      ".hm/b.ts":
        'import { pipeline, sh } from "@harmont/hm";\nwhile (true) {}\nexport default { slug: "b", pipeline: pipeline([sh("true")]) };\n',
    });
    projects.push(project);
    const result = await runHm(["render", "a", "-d", project.root], { env: { HM_EVAL_TIMEOUT: "1" } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(".hm/b.ts: still evaluating after 1 s");
    expect(result.stderr).not.toContain(".hm/a.ts");
  });

  test("an invalid HM_EVAL_TIMEOUT is a usage error naming the variable", async () => {
    const root = projectWith("");
    const result = await runHm(["render", "ci", "-d", root], { env: { HM_EVAL_TIMEOUT: "soon" } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      "HM_EVAL_TIMEOUT must be a number of seconds > 0 and ≤ 86400 (got 'soon')",
    );
  });

  test("what the file prints goes to stderr and its warnings still name the line; stdout is only the IR", async () => {
    const root = projectWith(
      'console.log("from the file"); await Bun.write(Bun.stdout, "raw write\\n"); sh("x", { lable: "y" });',
    );
    const result = await runHm(["render", "ci", "-d", root]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).graph.nodes[0].step.label).toBe("fails");
    expect(result.stderr).toContain("from the file");
    expect(result.stderr).toContain("raw write");
    expect(result.stderr).toContain(".hm/ci.ts:2: unknown step option 'lable' (did you mean 'label'?)");
  });

  test.skipIf(process.platform !== "linux")(
    "a file stuck in a loop does not outlive hm killed with SIGKILL",
    async () => {
      const marker = join(scratch.path, `looping-${crypto.randomUUID()}`);
      const root = projectWith(`await Bun.write(${JSON.stringify(marker)}, "");\nwhile (true) {}`);
      // hm is killed long before its 2 s limit: only the evaluator's own CPU ceiling (2 × limit + 5 s) can end it.
      const hm = Bun.spawn(
        [process.execPath, join(REPO_ROOT, "src", "main.ts"), "render", "ci", "-d", root],
        {
          env: { ...process.env, HM_EVAL_TIMEOUT: "2" },
          stdout: "ignore",
          stderr: "ignore",
        },
      );
      // However long a loaded machine takes to start the file.
      while (!existsSync(marker)) {
        if (hm.exitCode !== null) throw new Error("hm exited before the file ran");
        await Bun.sleep(50);
      }
      const children = Bun.spawnSync(["pgrep", "-P", String(hm.pid)])
        .stdout.toString()
        .trim();
      const evaluator = Number(children.split("\n")[0]);
      hm.kill("SIGKILL");
      await hm.exited;
      expect(evaluator).toBeGreaterThan(0);
      // The ceiling is CPU time, which a loaded machine hands out slowly: the evaluator must end by
      // the time it has used that much CPU (and a little more), however long that takes in wall time.
      const ceiling = 2 * 2 + 5;
      while (running(evaluator)) {
        expect(cpuSeconds(evaluator) ?? 0).toBeLessThan(ceiling + 3);
        await Bun.sleep(100);
      }
    },
    // 9 s of CPU on a machine where the file gets a tenth of a core.
    150_000,
  );
});
