/**
 * hm init for a newcomer: `-d` makes the directory, the template is picked
 * from the project's files (and says from which), and the next-step hint
 * names the file written and keeps the `-d` the user typed.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { templateNamed } from "../../src/init/templates.ts";
import { runHm, tempDir } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function project(files: Record<string, string>): string {
  const p = makeProject(files);
  cleanups.push(p.cleanup);
  return p.root;
}
/** A fresh temp dir holding `subdirs` (to test hints apart from -d creating directories). */
function scratch(...subdirs: string[]): string {
  const dir = tempDir("hm-init-");
  cleanups.push(dir.cleanup);
  for (const sub of subdirs) mkdirSync(join(dir.path, sub));
  return dir.path;
}
function pipelineOf(root: string): string {
  return readFileSync(join(root, ".hm", "pipeline.ts"), "utf8");
}
async function renderedCommands(root: string): Promise<string[]> {
  const render = await runHm(["render", "ci", "-d", root]);
  expect(render.stderr).toBe("");
  expect(render.exitCode).toBe(0);
  return JSON.parse(render.stdout).graph.nodes.map((n: { step: { cmd: string } }) => n.step.cmd);
}

describe("hm init -d", () => {
  test("creates a missing project directory", async () => {
    const root = join(scratch(), "my-app");
    const result = await runHm(["init", "-t", "bun", "-d", root]);
    expect(result.stderr).toContain(`created directory ${root}`);
    expect(result.exitCode).toBe(0);
    expect(pipelineOf(root)).toBe(templateNamed("bun")?.source as string);
    expect((await runHm(["pipelines", "-d", root])).exitCode).toBe(0);
  });

  test("creates nested directories, relative to where hm runs", async () => {
    const parent = scratch();
    const result = await runHm(["init", "-t", "shell", "-d", "a/b/c"], { cwd: parent });
    expect(result.exitCode).toBe(0);
    expect(statSync(join(parent, "a", "b", "c")).isDirectory()).toBe(true);
    expect(pipelineOf(join(parent, "a", "b", "c"))).toBe(templateNamed("shell")?.source as string);
  });

  test("a -d that is a file is an error that writes nothing", async () => {
    const parent = scratch();
    writeFileSync(join(parent, "not-a-dir"), "");
    const result = await runHm(["init", "-t", "shell", "-d", "not-a-dir"], { cwd: parent });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`✘ project directory ${join(parent, "not-a-dir")} is not a directory`);
    expect(existsSync(join(parent, ".hm"))).toBe(false);
  });
});

describe("hm init picks the template from the project's files", () => {
  const markers: [files: Record<string, string>, template: string, because: string][] = [
    [{ "CMakeLists.txt": "" }, "cmake", "CMakeLists.txt"],
    [{ "Cargo.toml": "" }, "rust", "Cargo.toml"],
    [{ "go.mod": "" }, "go", "go.mod"],
    [{ "build.zig": "" }, "zig", "build.zig"],
    [{ "mix.exs": "" }, "elixir", "mix.exs"],
    [{ "pyproject.toml": "" }, "python", "pyproject.toml"],
    [{ Makefile: "" }, "shell", "Makefile"],
    [{ Makefile: "", "go.mod": "" }, "go", "go.mod"],
  ];
  for (const [files, name, because] of markers) {
    test(`${Object.keys(files).join(" and ")} → ${name}`, async () => {
      const root = project({ "README.md": "", ...files });
      const result = await runHm(["init", "-d", root]);
      expect(result.exitCode).toBe(0);
      const template = templateNamed(name);
      expect(result.stderr).toContain(
        `picked template ${name} (${template?.label}) from ${because} in ${root}; pass -t to choose another`,
      );
      expect(pipelineOf(root)).toBe(template?.source as string);
    });
  }

  const lockfiles: [lockfile: string, template: string, installs: string][] = [
    ["bun.lock", "bun", "cd . && bun install --frozen-lockfile"],
    ["bun.lockb", "bun", "cd . && bun install --frozen-lockfile"],
    ["pnpm-lock.yaml", "node", "cd . && pnpm install --frozen-lockfile"],
    ["yarn.lock", "node", "cd . && yarn install --frozen-lockfile"],
    ["package-lock.json", "node", "cd . && npm ci"],
  ];
  for (const [lockfile, name, installs] of lockfiles) {
    test(`package.json and ${lockfile} → ${name}, whose pipeline installs with ${installs.split(" ")[3]}`, async () => {
      const root = project({ "package.json": "{}", [lockfile]: "" });
      const result = await runHm(["init", "-d", root]);
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toContain(`picked template ${name} `);
      expect(result.stderr).toContain(`from package.json and ${lockfile} in ${root}`);
      expect(pipelineOf(root)).toBe(templateNamed(name)?.source as string);
      expect(await renderedCommands(root)).toContain(installs);
    });
  }

  test("without -d, names the file alone", async () => {
    const root = project({ "go.mod": "" });
    const result = await runHm(["init"], { cwd: root });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("picked template go (Go) from go.mod; pass -t to choose another\n");
    expect(pipelineOf(root)).toBe(templateNamed("go")?.source as string);
  });

  test("package.json's packageManager wins over a lockfile, as the js toolchain decides", async () => {
    const root = project({ "package.json": '{ "packageManager": "pnpm@9.12.3" }', "yarn.lock": "" });
    const result = await runHm(["init", "-d", root]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`from package.json "packageManager": "pnpm@9.12.3" in ${root}`);
    expect(await renderedCommands(root)).toContain("cd . && pnpm install --frozen-lockfile");
  });
});

describe("hm init's next step", () => {
  test("names the file written and keeps -d as typed", async () => {
    const parent = scratch("my-app");
    const result = await runHm(["init", "-t", "shell", "-d", "my-app"], { cwd: parent });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(
      "✔ created my-app/.hm/pipeline.ts (TypeScript pipeline, template: Plain shell)",
    );
    expect(result.stderr).toContain(
      "▶ next step: edit my-app/.hm/pipeline.ts to fit your project, then run it locally with hm run -d my-app\n",
    );
  });

  test("without -d, suggests no -d", async () => {
    const root = project({ "README.md": "" });
    const result = await runHm(["init", "-t", "shell"], { cwd: root });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(
      "▶ next step: edit .hm/pipeline.ts to fit your project, then run it locally with hm run\n",
    );
  });

  test("quotes a -d the shell would split", async () => {
    const parent = scratch("my app");
    const result = await runHm(["init", "-t", "shell", "-d", "my app"], { cwd: parent });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("then run it locally with hm run -d 'my app'\n");
  });

  test("with a pipeline there, -t says how to overwrite it, with -d", async () => {
    const parent = scratch("app");
    expect((await runHm(["init", "-t", "shell", "-d", "app"], { cwd: parent })).exitCode).toBe(0);
    const again = await runHm(["init", "-t", "go", "-d", "app"], { cwd: parent });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain("! pipeline already exists in app/.hm/ — skipping template\n");
    expect(again.stderr).toContain("▶ hm init -t go --force -d app overwrites app/.hm/pipeline.ts\n");
    expect(again.stderr).toContain("▶ next step: run your pipeline locally with hm run -d app\n");
  });

  test("with the pipeline kept, suggests running it, with -d", async () => {
    const parent = scratch("app");
    expect((await runHm(["init", "-t", "shell", "-d", "app"], { cwd: parent })).exitCode).toBe(0);
    const again = await runHm(["init", "-d", "app"], { cwd: parent });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain("▶ next step: run your pipeline locally with hm run -d app\n");
  });
});
