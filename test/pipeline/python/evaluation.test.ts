/**
 * Python pipeline files through the real CLI and the real python3: errors
 * name the file and line, the evaluation is contained like a TypeScript
 * file's (time limit, exits, crashes: exit 2 naming the file), a missing
 * python3 says what to install, and a Python pipeline runs end to end.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEventStream, stepLines } from "../../helpers/event-schema.ts";
import { runDirs, runHm, tempDir } from "../../helpers/hm.ts";
import { makeProject } from "../../helpers/project.ts";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});
function project(files: Record<string, string>): string {
  const made = makeProject(files);
  cleanups.push(made.cleanup);
  return made.root;
}

const HEADER = "import harmont as hm\n\n";
const ONE = `${HEADER}@hm.pipeline("ci")\ndef ci():\n    return hm.sh("echo hi")\n`;

async function pipelines(root: string, env: Record<string, string> = {}) {
  return runHm(["pipelines", "-d", root], { env });
}

describe("errors name the file and line", () => {
  test("a syntax error", async () => {
    const root = project({ ".hm/ci.py": `${HEADER}@hm.pipeline("ci")\ndef ci(:\n    pass\n` });
    const result = await pipelines(root);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(".hm/ci.py:4: SyntaxError");
    expect(result.stdout).toBe("");
  }, 60_000);

  test("an exception while the file loads, and one raised by the SDK inside a pipeline function", async () => {
    const loading = project({ ".hm/a.py": `${HEADER}x = 1\nraise RuntimeError("no config here")\n` });
    const raised = await pipelines(loading);
    expect(raised.exitCode).toBe(2);
    expect(raised.stderr).toContain(".hm/a.py:4: RuntimeError: no config here");

    const rendering = project({
      ".hm/b.py": ONE,
      ".hm/c.py": `${HEADER}@hm.pipeline("web")\ndef web():\n    step = hm.sh("make")\n    return step.sh("make test", cwd="")\n`,
    });
    const sdk = await pipelines(rendering);
    expect(sdk.exitCode).toBe(2);
    expect(sdk.stderr).toContain(".hm/c.py:6: pipeline 'web': ValueError: cwd must be a non-empty path");
  }, 60_000);

  test("the line in a project module a pipeline file imports, with the file being evaluated", async () => {
    const root = project({
      "shared/__init__.py": "def base():\n    raise KeyError('nope')\n",
      ".hm/ci.py": `${HEADER}from shared import base\n\nbase()\n`,
    });
    const result = await pipelines(root);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("shared/__init__.py:2 (while evaluating .hm/ci.py): KeyError: 'nope'");
  }, 60_000);

  test("a pipeline that is not a chain of steps", async () => {
    const root = project({ ".hm/ci.py": `${HEADER}@hm.pipeline("ci")\ndef ci():\n    return 42\n` });
    const result = await pipelines(root);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      ".hm/ci.py: pipeline 'ci': TypeError: pipeline 'ci': invalid return value",
    );
  }, 60_000);
});

describe("containment", () => {
  test("sys.exit, os._exit and an endless loop are exit 2 naming the file; what a file prints never reaches stdout", async () => {
    const exits = project({ ".hm/ci.py": "import sys\nprint('to stderr')\nsys.exit(0)\n" });
    const exited = await pipelines(exits);
    expect(exited.exitCode).toBe(2);
    expect(exited.stderr).toContain(".hm/ci.py:3: called sys.exit(0)");
    expect(exited.stderr).toContain("to stderr");
    expect(exited.stdout).toBe("");

    const hard = project({ ".hm/ci.py": 'import os\nos.write(1, b\'{"type": "done"}\\n\')\nos._exit(0)\n' });
    const killed = await pipelines(hard);
    expect(killed.exitCode).toBe(2);
    expect(killed.stderr).toContain(".hm/ci.py: its evaluation ended with exit code 0");

    const loops = project({ ".hm/a.py": ONE, ".hm/b.py": "while True:\n    pass\n" });
    const looped = await pipelines(loops, { HM_EVAL_TIMEOUT: "1" });
    expect(looped.exitCode).toBe(2);
    expect(looped.stderr).toContain(".hm/b.py: still evaluating after 1 s");
  });

  test("a pipeline function that never returns is blamed on its file", async () => {
    const root = project({
      ".hm/a.py": ONE,
      ".hm/b.py": `${HEADER}import time\n\n@hm.pipeline("slow")\ndef slow():\n    time.sleep(60)\n`,
    });
    const result = await pipelines(root, { HM_EVAL_TIMEOUT: "1" });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(".hm/b.py: still evaluating after 1 s");
  });

  test("no python3 on PATH: exit 2 naming what to install", async () => {
    const bin = mkdtempSync(join(tmpdir(), "hm-no-python-"));
    cleanups.push(() => rmSync(bin, { recursive: true, force: true }));
    symlinkSync(process.execPath, join(bin, "bun"));
    const root = project({ ".hm/ci.py": ONE });
    const result = await pipelines(root, { PATH: bin });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(".hm/ci.py: Python pipelines need python3 (3.10 or newer)");
    expect(result.stderr).toContain("install Python 3");
  }, 60_000);

  test("a python3 older than 3.10: exit 2 naming the version found and the one needed", async () => {
    // sitecustomize runs before the evaluator: this python3 reports itself as 3.9.18.
    const site = project({ "sitecustomize.py": "import sys\nsys.version_info = (3, 9, 18, 'final', 0)\n" });
    const root = project({ ".hm/ci.py": ONE });
    const result = await pipelines(root, { PYTHONPATH: site });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("Python pipelines need python3 3.10 or newer;");
    expect(result.stderr).toContain("is 3.9.18");
  }, 60_000);

  test("the SDK comes with hm: neither a project's own harmont module nor one on PYTHONPATH replaces it, and nothing is written to the project", async () => {
    const root = project({ ".hm/ci.py": ONE, "harmont/__init__.py": "raise SystemExit('shadowed')\n" });
    const installed = project({ "harmont/__init__.py": "raise SystemExit('installed elsewhere')\n" });
    const result = await pipelines(root, { PYTHONPATH: installed, PYTHONSAFEPATH: "1" });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout).pipelines.map((p: { slug: string }) => p.slug)).toEqual(["ci"]);
    const listed = Bun.spawnSync(["find", root, "-name", "__pycache__"]).stdout.toString();
    expect(listed).toBe("");
  }, 60_000);
});

test("the SDK is written once to hm's cache directory, whole, and nothing is left in the temporary directory", async () => {
  const tmp = tempDir("hm-python-tmp-");
  const cache = tempDir("hm-python-cache-");
  cleanups.push(tmp.cleanup, cache.cleanup);
  const root = project({ ".hm/ci.py": ONE });
  const env = { TMPDIR: tmp.path, HM_CACHE_DIR: cache.path };
  for (let run = 0; run < 2; run++) {
    const result = await pipelines(root, env);
    expect(result.exitCode).toBe(0);
  }
  expect(readdirSync(tmp.path)).toEqual([]);
  const written = readdirSync(join(cache.path, "python-sdk"));
  expect(written).toHaveLength(1);
  expect(readdirSync(join(cache.path, "python-sdk", written[0] as string)).sort()).toEqual([
    "evaluate.py",
    "harmont",
    "hm",
  ]);
}, 60_000);

describe("language and modules", () => {
  test("import hm is the same SDK as import harmont, its submodules too", async () => {
    const root = project({
      ".hm/ci.py": [
        "import hm",
        "import harmont",
        "from hm.py.uv import UvProject",
        "from harmont.py.uv import UvProject as Same",
        "",
        "assert hm is harmont and UvProject is Same",
        "",
        '@hm.pipeline("ci")',
        "def ci():",
        '    return [hm.py.uv(path="."), hm.sh("echo hi")]',
        "",
      ].join("\n"),
    });
    const result = await pipelines(root);
    expect(result.stderr).toBe("");
    const [ci] = JSON.parse(result.stdout).pipelines;
    // The project stands for its default action (test) because it is recognised as a UvProject.
    expect(ci.definition.graph.nodes.map((n: { step: { label?: string } }) => n.step.label)).toContain(
      ":python: test",
    );
  }, 60_000);

  test("with both languages, TypeScript is used and hm says so", async () => {
    const root = project({
      ".hm/ci.py": ONE.replace('"ci"', '"from-python"'),
      ".hm/ci.ts":
        'import { pipeline, sh } from "@harmont/hm";\nexport default { slug: "from-ts", pipeline: pipeline([sh("echo hi")]) };\n',
    });
    const result = await pipelines(root);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(
      "using the TypeScript pipelines (.hm/ci.ts); ignoring the Python ones (.hm/ci.py)",
    );
    expect(JSON.parse(result.stdout).pipelines.map((p: { slug: string }) => p.slug)).toEqual(["from-ts"]);
  }, 60_000);

  test("a rendered pipeline goes through hm's IR checks", async () => {
    const root = project({
      ".hm/ci.py": `${HEADER}@hm.pipeline("ci")\ndef ci():\n    return hm.sh("make", key="same").sh("make test", key="same")\n`,
    });
    const result = await pipelines(root);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(".hm/ci.py: pipeline 'ci': two steps share the key 'same'");
  }, 60_000);
});

test("hm run: a Python pipeline runs on the shell runner, chains see their parent's files, wait orders steps", async () => {
  const scratch = tempDir("hm-python-run-");
  cleanups.push(scratch.cleanup);
  const root = project({
    ".hm/ci.py": `${HEADER}@hm.target()\ndef build():\n    return hm.sh("echo built > out.txt", label="build")\n\n@hm.pipeline("ci")\ndef ci(build: hm.Target[hm.Step]):\n    check = build.sh("cat out.txt > seen.txt && cat seen.txt", label="check")\n    return [check, hm.wait(), hm.sh("test ! -e out.txt && echo clean", label="after")]\n`,
  });
  const dirs = runDirs(scratch.path);
  const result = await runHm(["run", "ci", "--runner", "shell", "--format", "json"], {
    cwd: root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  expect(result.exitCode).toBe(0);
  const events = parseEventStream(result.stdout);
  const logs = (key: string) => stepLines(events, key);
  expect(logs("check")).toEqual(["built"]);
  expect(logs("after")).toEqual(["clean"]);
  expect(() => readFileSync(join(root, "out.txt"))).toThrow();
}, 60_000);

test("hm run: install steps a Python toolchain made stop a shell run before anything starts, as TypeScript's do", async () => {
  const scratch = tempDir("hm-python-host-");
  cleanups.push(scratch.cleanup);
  const root = project({
    ".hm/ci.py": `${HEADER}@hm.pipeline("ci")\ndef ci():\n    web = hm.js.project(runtime="bun")\n    return [web.run("test"), hm.sh("echo mine", label="mine")]\n`,
  });
  const dirs = runDirs(scratch.path);
  const result = await runHm(
    ["run", "--runner", "shell", "--format", "json", "-d", root, "-e", "PATH=/nonexistent"],
    {
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
    },
  );
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain(
    "✘ 2 steps install software on this machine with the shell runner: :bun: apt-base (apt-base), :bun: install (install)",
  );
  expect(parseEventStream(result.stdout)).toEqual([]);
}, 60_000);
