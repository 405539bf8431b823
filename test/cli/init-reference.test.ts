/**
 * hm init with the reference's names and extras (README, "Coming from the
 * reference hm"): -t js and -t nextjs, __pycache__/ ignored, the GitHub
 * Actions hint, and --github-actions writing a workflow that runs hm run.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { templateNamed } from "../../src/init/templates.ts";
import { runHm } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});
function emptyProject(files: Record<string, string> = { "README.md": "" }): string {
  const p = makeProject(files);
  cleanups.push(p.cleanup);
  return p.root;
}

test("-t js writes the JavaScript / TypeScript template, as the reference's js does", async () => {
  const root = emptyProject();
  const r = await runHm(["init", "-t", "js", "-d", root]);
  expect(r.exitCode).toBe(0);
  expect(readFileSync(join(root, ".hm", "pipeline.ts"), "utf8")).toBe(
    templateNamed("node")?.source as string,
  );
}, 60_000);

test("-t nextjs writes a pipeline that builds and lints through the package.json scripts", async () => {
  const root = emptyProject({ "package.json": '{"scripts":{"build":"next build","lint":"next lint"}}' });
  const r = await runHm(["init", "-t", "nextjs", "-d", root]);
  expect(r.exitCode).toBe(0);
  expect(r.stderr).toContain("template: Next.js");
  const render = await runHm(["render", "ci", "-d", root]);
  expect(render.exitCode).toBe(0);
  const commands = JSON.parse(render.stdout).graph.nodes.map((n: { step: { cmd: string } }) => n.step.cmd);
  expect(commands.some((c: string) => c.includes("run build"))).toBe(true);
  expect(commands.some((c: string) => c.includes("run lint"))).toBe(true);
  expect(commands.some((c: string) => c.includes("run test"))).toBe(false);
}, 60_000);

test("__pycache__/ joins .hm/.gitignore", async () => {
  const root = emptyProject();
  await runHm(["init", "-t", "shell", "-d", root]);
  expect(readFileSync(join(root, ".hm", ".gitignore"), "utf8").split("\n")).toContain("__pycache__/");
}, 60_000);

test("init hints at GitHub Actions, naming existing workflows when there are some", async () => {
  const plain = emptyProject();
  const r = await runHm(["init", "-t", "shell", "-d", plain]);
  expect(r.stderr).toContain(
    `to run this pipeline in GitHub Actions too: hm init --github-actions -d ${plain} writes ${plain}/.github/workflows/hm.yml`,
  );
  const withWorkflows = emptyProject({ ".github/workflows/ci.yaml": "on: push\n" });
  const w = await runHm(["init", "-t", "shell", "-d", withWorkflows]);
  expect(w.stderr).toContain(`found GitHub Actions workflows in ${withWorkflows}/.github/workflows/`);
}, 60_000);

test("--github-actions writes a workflow that installs hm and runs hm run; an existing one is kept", async () => {
  const root = emptyProject();
  const r = await runHm(["init", "-t", "shell", "-d", root, "--github-actions"]);
  expect(r.exitCode).toBe(0);
  const path = join(root, ".github", "workflows", "hm.yml");
  const workflow = readFileSync(path, "utf8");
  expect(workflow).toContain("- run: hm run --logs");
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub Actions' expression syntax, not a template
  expect(workflow).toContain("HM_URL: ${{ vars.HM_URL }}");
  expect(workflow).toContain("uses: actions/checkout@v4");
  // Valid YAML, with the steps GitHub will run.
  const parsed = Bun.YAML.parse(workflow) as { jobs: { hm: { steps: Array<Record<string, string>> } } };
  expect(parsed.jobs.hm.steps.map((step) => step.uses ?? step.name ?? step.run)).toEqual([
    "actions/checkout@v4",
    "Install hm",
    "hm run --logs",
  ]);
  // The install step fails naming the variable when it is unset.
  const install = workflow.split("run: |\n")[1]?.split("\n      #")[0] ?? "";
  const script = install
    .split("\n")
    .map((l) => l.replace(/^ {10}/, ""))
    .join("\n");
  const unset = Bun.spawnSync(["sh", "-c", script], { env: { PATH: process.env.PATH ?? "", HM_URL: "" } });
  expect(unset.exitCode).toBe(1);
  expect(unset.stdout.toString()).toContain("::error::set the repository variable HM_URL");

  writeFileSync(path, "# mine\n");
  const again = await runHm(["init", "-d", root, "--github-actions"]);
  expect(again.exitCode).toBe(0);
  expect(again.stderr).toContain("already exists — left as it is");
  expect(readFileSync(path, "utf8")).toBe("# mine\n");
}, 60_000);
