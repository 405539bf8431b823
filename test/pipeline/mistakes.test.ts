/**
 * Mistakes in pipeline files are named where they were made, through the real
 * CLI on throwaway projects: unknown options (a warning at the calling line,
 * the IR unchanged), syntax and import errors with line and column, exports
 * of the wrong shape, and environments no process could receive.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-test-mistakes-");
const cleanups: (() => void)[] = [scratch.cleanup];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function project(files: Record<string, string>): string {
  const made = makeProject(files);
  cleanups.push(made.cleanup);
  return made.root;
}

const IMPORTS = 'import { forever, pipeline, scratch, sh, wait } from "@harmont/hm";\n';

describe("unknown options", () => {
  test("an unknown step option is named with the nearest known one, at its line; the IR is unchanged", async () => {
    const typo = project({
      ".hm/ci.ts": `${IMPORTS}\nconst build = sh("make", { lable: "build" });\nexport default { slug: "ci", pipeline: pipeline([build]) };\n`,
    });
    const plain = project({
      ".hm/ci.ts": `${IMPORTS}\nconst build = sh("make", {});\nexport default { slug: "ci", pipeline: pipeline([build]) };\n`,
    });
    const warned = await runHm(["render", "ci", "-d", typo]);
    const clean = await runHm(["render", "ci", "-d", plain]);
    expect(warned.exitCode).toBe(0);
    expect(warned.stderr).toBe("! .hm/ci.ts:3: unknown step option 'lable' (did you mean 'label'?)\n");
    expect(clean.stderr).toBe("");
    expect(warned.stdout).toBe(clean.stdout);
  });

  test("pipeline() and trigger options are checked too", async () => {
    const root = project({
      ".hm/ci.ts": `import { pipeline, pullRequest, push, sh } from "@harmont/hm";
export default {
  slug: "ci",
  triggers: [push({ branch: "main", tags: "v*" }), pullRequest({ branch: "main" })],
  pipeline: pipeline([sh("make")], { timout: "5m", defaultImage: "alpine" }),
};\n`,
    });
    const result = await runHm(["render", "ci", "-d", root]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr.split("\n").filter(Boolean).sort()).toEqual([
      "! .hm/ci.ts:4: unknown pullRequest() option 'branch' (did you mean 'branches'?)",
      "! .hm/ci.ts:4: unknown push() option 'tags' (did you mean 'tag'?)",
      "! .hm/ci.ts:5: unknown pipeline() option 'timout' (did you mean 'timeout'?)",
    ]);
  });

  test("a timeout given as an option points to timeout(); snake_case names to the SDK's", async () => {
    const root = project({
      ".hm/ci.ts": `${IMPORTS}export default {
  slug: "ci",
  pipeline: pipeline([sh("make", { timeout_seconds: 5, runner_args: {}, image: "alpine" })]),
};\n`,
    });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(
      "! .hm/ci.ts:4: unknown step option 'timeout_seconds' (did you mean timeout(5, sh(...))?)",
    );
    expect(result.stderr).toContain(
      "! .hm/ci.ts:4: unknown step option 'runner_args' (did you mean 'runnerArgs'?)",
    );
    // stdout stays the envelope alone, and the step carries no timeout.
    const envelope = JSON.parse(result.stdout);
    expect(envelope.pipelines[0].definition.graph.nodes[0].step.timeout_seconds).toBeUndefined();
  });

  test("cache policy, wait, scratch and definition options are checked too", async () => {
    const root = project({
      ".hm/ci.ts": `${IMPORTS}const base = scratch({ imag: "alpine" });
const deps = base.sh("install", { cache: forever({ env_keys: ["CI"] }) });
export default {
  slug: "ci",
  allow_manual: false,
  pipeline: pipeline([deps, wait({ continue_on_failure: true }), sh("done")]),
};\n`,
    });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr.split("\n").filter((l) => l !== "")).toEqual([
      "! .hm/ci.ts:2: unknown scratch() option 'imag' (did you mean 'image'?)",
      "! .hm/ci.ts:3: unknown forever() option 'env_keys' (did you mean 'envKeys'?)",
      "! .hm/ci.ts:7: unknown wait() option 'continue_on_failure' (did you mean 'continueOnFailure'?)",
      "! .hm/ci.ts: export default: unknown pipeline definition field 'allow_manual' (did you mean 'allowManual'?)",
    ]);
  });

  test("a mistake in a shared helper is named at the helper's line, once however often it runs", async () => {
    // The sh() call is not the helper's last call: JavaScriptCore drops the frame of a tail
    // call (`(name) => sh(...)`), and then the line that called the helper is named instead.
    const root = project({
      ".hm/lib/steps.ts": `import { sh } from "@harmont/hm";\nexport function check(name: string) {\n  const step = sh(\`make \${name}\`, { label: name, cach: undefined });\n  return step.sh("make check");\n}\n`,
      ".hm/ci.ts": `import { pipeline } from "@harmont/hm";\nimport { check } from "./lib/steps.ts";\nexport default { slug: "ci", pipeline: pipeline(["a", "b", "c"].map(check)) };\n`,
    });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("! .hm/lib/steps.ts:3: unknown step option 'cach' (did you mean 'cache'?)\n");
  });
});

describe("files that do not load", () => {
  test("a syntax error is named with its line and column", async () => {
    const root = project({
      ".hm/typo.ts": `${IMPORTS}export default { slug: "ci", pipeline: pipeline([sh("x")]) };\n  }\n`,
    });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toStartWith("✘ .hm/typo.ts:3:3: Unexpected }\n");
  });

  test("a syntax error in a helper names the helper and the pipeline file that loaded it", async () => {
    const root = project({
      ".hm/lib/broken.ts": "export const a = 1;\nexport const b = ;\n",
      ".hm/ci.ts": `${IMPORTS}import { a } from "./lib/broken.ts";\nexport default { slug: "ci", pipeline: pipeline([sh(\`echo \${a}\`)]) };\n`,
    });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toStartWith("✘ .hm/lib/broken.ts:2:18: Unexpected ; (while loading .hm/ci.ts)\n");
  });

  test("an import that cannot be found is named at the importing line", async () => {
    const root = project({
      ".hm/ci.ts": `${IMPORTS}import { steps } from "./lib/missing.ts";\nexport default { slug: "ci", pipeline: pipeline(steps) };\n`,
    });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toStartWith("✘ .hm/ci.ts:2:23: Cannot find module './lib/missing.ts'");
  });

  test("a throw inside a helper names the pipeline file's line and the helper's", async () => {
    const root = project({
      ".hm/lib/h.ts": 'export function boom(): never {\n  throw new Error("no such target");\n}\n',
      ".hm/ci.ts": 'import { boom } from "./lib/h.ts";\n\nboom();\n',
    });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toStartWith("✘ .hm/ci.ts:3: no such target (thrown at .hm/lib/h.ts:2)\n");
  });
});

describe("exports of the wrong shape", () => {
  const cases: [string, string, string, string?][] = [
    [
      "a step array instead of pipeline([...])",
      `${IMPORTS}export default { slug: "ci", pipeline: [sh("x")] };\n`,
      "✘ .hm/ci.ts: export default (pipeline 'ci'): 'pipeline' must be the result of pipeline([...]) (got an array)",
      "→ write pipeline: pipeline([a, b]) rather than pipeline: [a, b]",
    ],
    [
      "a number",
      "export default 42;\n",
      '✘ .hm/ci.ts: export default: expected a pipeline definition { slug: "ci", pipeline: pipeline([...]) } or an array of them (got the number 42)',
    ],
    [
      "an empty pipelines object",
      "export const pipelines = {};\n",
      "✘ .hm/ci.ts: export const pipelines: expected a pipeline definition",
      "(got an empty object)",
    ],
    [
      "a definition without a slug",
      `${IMPORTS}export default { pipeline: pipeline([sh("x")]) };\n`,
      "✘ .hm/ci.ts: export default: 'slug' is missing: name the pipeline, e.g. slug: \"ci\"",
    ],
    [
      "a bare pipeline([...]) result",
      `${IMPORTS}export default pipeline([sh("x")]);\n`,
      "✘ .hm/ci.ts: export default: expected a pipeline definition",
      "(got the result of pipeline([...]))",
    ],
    [
      "a step as the pipeline of the second definition",
      `${IMPORTS}export const pipelines = [{ slug: "a", pipeline: pipeline([sh("x")]) }, { slug: "b", pipeline: sh("y") }];\n`,
      "✘ .hm/ci.ts: export const pipelines[1] (pipeline 'b'): 'pipeline' must be the result of pipeline([...]) (got a step)",
      "→ wrap the step: pipeline: pipeline([step])",
    ],
    [
      "a field of the wrong type",
      `${IMPORTS}export default [{ slug: "ci", allowManual: "yes", pipeline: pipeline([sh("a")]) }];\n`,
      "✘ .hm/ci.ts: export default[0] (pipeline 'ci'): 'allowManual' must be a boolean (got the string \"yes\")",
    ],
  ];
  for (const [name, source, message, more] of cases) {
    test(`${name} is named by export and field, exit 2`, async () => {
      const root = project({ ".hm/ci.ts": source });
      const result = await runHm(["pipelines", "-d", root]);
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(message);
      if (more !== undefined) expect(result.stderr).toContain(more);
    });
  }
});

describe("environments no process can receive", () => {
  const cases: [string, string, string][] = [
    ["a NUL in a value", '{ A: "x\\0y" }', "step 'bad': env.A: value must not contain a NUL byte"],
    [
      "a NUL in a name",
      '{ "A\\0B": "x" }',
      `step 'bad': env["A\\u0000B"]: variable name must not contain a NUL byte`,
    ],
    ["'=' in a name", '{ "A=B": "x" }', `step 'bad': env["A=B"]: variable name must not contain '='`],
    ["an empty name", '{ "": "x" }', `step 'bad': env[""]: variable name must not be empty`],
  ];
  for (const [name, env, message] of cases) {
    test(`${name} stops hm run --runner shell before any step runs, and hm render, exit 7`, async () => {
      const dirs = runDirs(scratch.path);
      const marker = join(dirs.tmp, "first-ran");
      const root = project({
        ".hm/ci.ts": `${IMPORTS}export default {
  slug: "ci",
  pipeline: pipeline([sh("touch ${marker}", { key: "first" }), wait(), sh("true", { key: "bad", env: ${env} })]),
};\n`,
      });
      const run = await runHm(["run", "--runner", "shell", "-d", root], {
        env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
      });
      expect(run.stderr).toContain(`✘ .hm/ci.ts: pipeline 'ci': ${message}`);
      expect(run.exitCode).toBe(7);
      expect(existsSync(marker)).toBe(false);

      const render = await runHm(["render", "ci", "-d", root]);
      expect(render.exitCode).toBe(7);
      expect(render.stdout).toBe("");
      expect(render.stderr).toContain(`✘ .hm/ci.ts: pipeline 'ci': ${message}`);
    });
  }

  test("an IR file's pipeline env is checked the same way", async () => {
    const root = project({
      ".hm/deploy.ir.json": JSON.stringify({
        version: "0",
        env: { "TOKEN=": "x" },
        steps: [{ type: "command", key: "ship", cmd: "true" }],
      }),
    });
    const result = await runHm(["render", "deploy", "-d", root]);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(
      `✘ .hm/deploy.ir.json: pipeline 'deploy': env["TOKEN="]: variable name must not contain '='`,
    );
  });
});
