/** hm init: every template renders to valid IR and type-checks against the declarations it writes. */
import { afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TEMPLATES } from "../../src/init/templates.ts";
import { SDK_DECLARATIONS, TOOLCHAIN_DECLARATIONS } from "../../src/pipeline/sdk/declarations.ts";
import * as sdk from "../../src/pipeline/sdk/index.ts";
import * as toolchains from "../../src/pipeline/sdk/toolchains/index.ts";
import { REPO_ROOT, runHm } from "../helpers/hm.ts";
import { parityCorpus } from "../helpers/parity.ts";
import { makeProject } from "../helpers/project.ts";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function emptyProject(files: Record<string, string> = { "README.md": "" }): string {
  const p = makeProject(files);
  cleanups.push(p.cleanup);
  return p.root;
}

describe("hm init", () => {
  for (const template of TEMPLATES) {
    test(`template '${template.name}' writes a pipeline that renders to valid IR`, async () => {
      const root = emptyProject();
      const init = await runHm(["init", "-t", template.name, "-d", root]);
      expect(init.exitCode).toBe(0);
      expect(init.stderr).toContain(
        `created ${root}/.hm/pipeline.ts (TypeScript pipeline, template: ${template.label})`,
      );
      expect(readFileSync(join(root, ".hm", "pipeline.ts"), "utf8")).toBe(template.source);
      const render = await runHm(["render", "ci", "-d", root]);
      expect(render.stderr).toBe("");
      expect(render.exitCode).toBe(0);
      expect(JSON.parse(render.stdout).graph.nodes.length).toBeGreaterThan(1);
    });
  }

  test("every language template builds on a toolchain helper", () => {
    for (const template of TEMPLATES.filter((t) => t.name !== "shell")) {
      expect(template.source).toContain('from "@harmont/hm/toolchains"');
    }
  });

  test("the node template detects the project's package manager from its lockfile", async () => {
    const root = emptyProject({
      "package.json": '{ "packageManager": "pnpm@9.12.3" }',
      "pnpm-lock.yaml": "",
    });
    expect((await runHm(["init", "-t", "node", "-d", root])).exitCode).toBe(0);
    const render = await runHm(["render", "ci", "-d", root]);
    expect(render.exitCode).toBe(0);
    const commands = JSON.parse(render.stdout).graph.nodes.map((n: { step: { cmd: string } }) => n.step.cmd);
    expect(commands).toContain("corepack enable pnpm && corepack install -g pnpm@9.12.3");
    expect(commands).toContain("cd . && pnpm run test");
  });

  test("without --template and without a terminal it fails with a hint", async () => {
    const root = emptyProject();
    const result = await runHm(["init", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("✘ no template specified and no terminal available");
    expect(result.stderr).toContain("→ pass --template <name> in non-interactive contexts");
    expect(existsSync(join(root, ".hm", "pipeline.ts"))).toBe(false);
    const missing = join(root, "missing");
    expect((await runHm(["init", "-d", missing])).exitCode).toBe(2);
    expect(existsSync(missing)).toBe(false);
  });

  test("an existing pipeline is kept unless --force, which replaces only that file", async () => {
    const root = emptyProject({ ".hm/pipeline.ts": "// mine\n", ".hm/other.ts": "// also mine\n" });
    const kept = await runHm(["init", "-t", "go", "-d", root]);
    expect(kept.exitCode).toBe(0);
    expect(kept.stderr).toContain("pipeline already exists");
    expect(readFileSync(join(root, ".hm", "pipeline.ts"), "utf8")).toBe("// mine\n");

    const skipped = await runHm(["init", "-d", root]);
    expect(skipped.exitCode).toBe(0);
    expect(skipped.stderr).toContain("existing pipeline detected in .hm/ — skipping template selection");

    const forced = await runHm(["init", "-t", "go", "-d", root, "--force"]);
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(join(root, ".hm", "pipeline.ts"), "utf8")).toContain('go({ path: "." })');
    expect(readFileSync(join(root, ".hm", "other.ts"), "utf8")).toBe("// also mine\n");
  });

  test("node_modules/ and __pycache__/ are added to .hm/.gitignore once", async () => {
    const root = emptyProject({ ".hm/.gitignore": "secrets" });
    await runHm(["init", "-t", "shell", "-d", root]);
    await runHm(["init", "-t", "shell", "-d", root, "--force"]);
    expect(readFileSync(join(root, ".hm", ".gitignore"), "utf8")).toBe(
      "secrets\nnode_modules/\n__pycache__/\n",
    );
  });

  test("the declarations name exactly what the SDK modules export", () => {
    const declared = (text: string) =>
      [...text.matchAll(/^export declare (?:function|class|const) (\w+)/gm)]
        .map((m) => m[1] as string)
        .sort();
    const runtime = (mod: object) =>
      Object.keys(mod)
        .filter((k) => typeof (mod as Record<string, unknown>)[k] !== "undefined")
        .sort();
    expect(declared(SDK_DECLARATIONS)).toEqual(runtime(sdk));
    expect(declared(TOOLCHAIN_DECLARATIONS)).toEqual(runtime(toolchains));
  });

  test("every template type-checks against the written declarations, with no node_modules", async () => {
    const root = emptyProject();
    expect((await runHm(["init", "-t", "shell", "-d", root])).exitCode).toBe(0);
    for (const template of TEMPLATES)
      writeFileSync(join(root, ".hm", `${template.name}.ts`), template.source);
    expectTypeChecks(join(root, ".hm", "tsconfig.json"));
  }, 60_000);

  test("pipelines written for the reference's toolchains type-check against the written declarations", async () => {
    const root = emptyProject();
    expect((await runHm(["init", "-t", "shell", "-d", root])).exitCode).toBe(0);
    const corpus = parityCorpus("toolchain-parity");
    for (const name of corpus.cases) {
      copyFileSync(join(corpus.dir(name), ".hm", "pipeline.ts"), join(root, ".hm", `${name}.ts`));
    }
    expectTypeChecks(join(root, ".hm", "tsconfig.json"));
  }, 60_000);
});

/** tsc on a project, run by Bun rather than node: the machine may have no node at all. */
function expectTypeChecks(tsconfig: string): void {
  const tsc = Bun.spawnSync(
    [process.execPath, join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", tsconfig],
    { stdout: "pipe", stderr: "pipe" },
  );
  expect(tsc.stdout.toString() + tsc.stderr.toString()).toBe("");
  expect(tsc.exitCode).toBe(0);
}
