/** `hm render` without SLUG picks the pipeline the way `hm run` does, through the real process. */
import { afterAll, expect, test } from "bun:test";
import { runHm } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const pipelineFile = (slug: string, cmd: string) =>
  `import { pipeline, sh } from "@harmont/hm";\nexport default { slug: "${slug}", pipeline: pipeline([sh("${cmd}")]) };\n`;

const single = makeProject({ ".hm/only.ts": pipelineFile("only", "echo only") });
const several = makeProject({
  ".hm/a.ts": pipelineFile("alpha", "echo a"),
  ".hm/b.ts": pipelineFile("beta", "echo b"),
});
afterAll(() => {
  single.cleanup();
  several.cleanup();
});

test("with one pipeline, hm render without SLUG prints its IR", async () => {
  const [bare, named] = await Promise.all([
    runHm(["render", "-d", single.root]),
    runHm(["render", "only", "-d", single.root]),
  ]);
  expect(bare.exitCode).toBe(0);
  expect(bare.stderr).toBe("");
  expect(JSON.parse(bare.stdout).graph.nodes[0].step.cmd).toBe("echo only");
  expect(bare.stdout).toBe(named.stdout);
});

test("with several pipelines, hm render without SLUG names them, exit 2", async () => {
  const result = await runHm(["render", "-d", several.root]);
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toBe(
    "✘ this repo declares pipelines: alpha, beta\n→ pass one as the first argument\n",
  );
  const run = await runHm(["run", "-d", several.root, "--runner", "shell"]);
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toBe(result.stderr);
});

test("hm render --help shows SLUG as optional", async () => {
  const result = await runHm(["render", "--help"]);
  expect(result.stdout).toContain("USAGE hm render [OPTIONS] [SLUG]");
});

test("a misspelt pipeline slug gets the nearest one suggested, for render and run alike, exit 2", async () => {
  const [render, run, far] = await Promise.all([
    runHm(["render", "betta", "-d", several.root]),
    runHm(["run", "aplha", "-d", several.root, "--runner", "shell"]),
    runHm(["render", "deploy", "-d", several.root]),
  ]);
  expect(render.exitCode).toBe(2);
  expect(render.stderr).toBe(
    "✘ pipeline 'betta' not found: did you mean 'beta'?\n→ available: alpha, beta\n",
  );
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toContain("✘ pipeline 'aplha' not found: did you mean 'alpha'?\n");
  expect(far.stderr).toBe("✘ pipeline 'deploy' not found\n→ available: alpha, beta\n");
});
