/**
 * Toolchain behaviour beyond parity: options hm does not know are errors
 * naming the toolchain, the option and the pipeline file, and files are read
 * from the project directory.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { detectJs } from "../../src/pipeline/sdk/toolchains/detect.ts";
import { js, rust } from "../../src/pipeline/sdk/toolchains/index.ts";
import { withProjectDir } from "../../src/pipeline/sdk/toolchains/project-dir.ts";
import { runHm } from "../helpers/hm.ts";
import { parityCorpus } from "../helpers/parity.ts";
import { makeProject } from "../helpers/project.ts";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

async function renderPipeline(source: string) {
  const project = makeProject({ ".hm/ci.ts": source });
  cleanups.push(project.cleanup);
  return runHm(["pipelines", "-d", project.root]);
}

const header =
  'import { pipeline } from "@harmont/hm";\nimport { cmake, js, rust } from "@harmont/hm/toolchains";\n';

describe("toolchain errors", () => {
  test("an unknown runtime names the toolchain, the option and the pipeline file", async () => {
    const result = await renderPipeline(
      `${header}const web = js.project({ runtime: "python" });\nexport default { slug: "ci", pipeline: pipeline([web.run("test")]) };\n`,
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('✘ .hm/ci.ts:3: js.project: unsupported runtime "python"');
    expect(result.stderr).toContain('→ use one of "node", "bun", "deno"');
  });

  test("a misspelt option is named with the valid ones", async () => {
    const result = await renderPipeline(
      `${header}const crate = rust.project({ verison: "1.81.0" });\nexport default { slug: "ci", pipeline: pipeline(crate.ci()) };\n`,
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("✘ .hm/ci.ts:3: rust.project: unknown option 'verison'");
    expect(result.stderr).toContain(
      "→ valid options: path, version, image, components, base, installed, cache",
    );
  });

  test("an action option is checked where the action is called", async () => {
    const result = await renderPipeline(
      `${header}const lib = cmake({ path: "." });\n\nexport default { slug: "ci", pipeline: pipeline([lib.test({ cwd: "lib" })]) };\n`,
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("✘ .hm/ci.ts:5: CMakeProject.test: unknown option 'cwd'");
  });

  test("values the reference would silently misread are refused", () => {
    // @ts-expect-error: deliberately wrong
    expect(() => js.project({ pm: "yarn" })).toThrow('js.project: unsupported pm "yarn"');
    expect(() => rust.toolchain().build({ release: true, profile: "dist" })).toThrow(
      "release conflicts with profile",
    );
    expect(() => js.project({ runtime: "bun", pm: "npm" })).toThrow('runtime "bun" works only with pm "bun"');
  });
});

describe("installed: true", () => {
  test("an option that chooses what to install cannot go with it", async () => {
    const result = await renderPipeline(
      `${header}const web = js.project({ runtime: "bun", version: "1.2.3", installed: true });\nexport default { slug: "ci", pipeline: pipeline([web.run("test")]) };\n`,
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      "✘ .hm/ci.ts:3: js.project: 'version' chooses what to install, and installed: true installs nothing",
    );
    // @ts-expect-error: deliberately wrong
    expect(() => rust.toolchain({ installed: "yes" })).toThrow(
      "rust: option 'installed' must be true or false",
    );
  });

  test("installed: false renders the reference's chain", async () => {
    const plain = await renderPipeline(
      `${header}export default { slug: "ci", pipeline: pipeline([js.project({ runtime: "bun" }).run("test")]) };\n`,
    );
    const explicit = await renderPipeline(
      `${header}export default { slug: "ci", pipeline: pipeline([js.project({ runtime: "bun", installed: false }).run("test")]) };\n`,
    );
    expect(plain.exitCode).toBe(0);
    expect(explicit.stdout).toBe(plain.stdout);
  });

  test("one cached step checks the runtime and package manager instead of installing them", () => {
    const deps = js.project({ runtime: "node", pm: "pnpm", installed: true }).install();
    const check = deps._parent;
    expect(check?._label).toBe(":node: installed");
    expect(check?._cmd).toContain("command -v node >/dev/null ||");
    expect(check?._cmd).toContain("command -v pnpm >/dev/null ||");
    expect(check?._cmd).toEndWith("node --version && pnpm --version");
    expect(check?._parent?._cmd).toBeNull();
  });
});

describe("detection conflicts", () => {
  test("a detected runtime and package manager that cannot go together name their files and what to set", async () => {
    const project = makeProject({
      ".hm/ci.ts": `${header}const web = js.project({ path: "web" });\nexport default { slug: "ci", pipeline: pipeline([web.run("test")]) };\n`,
      "web/bun.lock": "{}\n",
      "web/package.json": '{ "packageManager": "pnpm@9.12.3" }\n',
    });
    cleanups.push(project.cleanup);
    const result = await runHm(["pipelines", "-d", project.root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      '✘ .hm/ci.ts:3: js.project: detected runtime "bun" (from web/bun.lock) and pm "pnpm" ' +
        '(from web/package.json "packageManager": "pnpm@9.12.3"), but runtime "bun" works only with pm "bun"',
    );
    expect(result.stderr).toContain('→ set pm: "pnpm" to install with pnpm on node, or runtime: "bun"');
  });

  test("each suggested setting renders", async () => {
    for (const choice of ['pm: "pnpm"', 'runtime: "bun"']) {
      const project = makeProject({
        ".hm/ci.ts": `${header}const web = js.project({ path: "web", ${choice} });\nexport default { slug: "ci", pipeline: pipeline([web.run("test")]) };\n`,
        "web/bun.lock": "{}\n",
        "web/package.json": '{ "packageManager": "pnpm@9.12.3" }\n',
      });
      cleanups.push(project.cleanup);
      const result = await runHm(["pipelines", "-d", project.root]);
      expect({ choice, exitCode: result.exitCode }).toEqual({ choice, exitCode: 0 });
    }
  });
});

describe("project files", () => {
  const detectCase = parityCorpus("toolchain-parity").dir("js-detect");

  test("detection reads package.json and lockfiles of the directory it is given", () => {
    expect(detectJs(`${detectCase}/pnpm`)).toEqual({ pm: "pnpm", pmVersion: "9.12.3" });
    expect(detectJs(`${detectCase}/yarn-berry`)).toEqual({ pm: "yarn-berry", pmVersion: "4.5.1" });
    expect(detectJs(`${detectCase}/bun-lockb`)).toEqual({ runtime: "bun", pm: "bun" });
    expect(detectJs(`${detectCase}/deno`)).toEqual({ runtime: "deno" });
    expect(detectJs(`${detectCase}/does-not-exist`)).toEqual({});
  });

  test("a toolchain's relative path is resolved against the current project, not the working directory", async () => {
    // Tests run in the repository, which uses bun; the fixture's subdirectory uses pnpm.
    expect(js.project().install()._label).toBe(":bun: deps");
    const pnpm = await withProjectDir(detectCase, async () => js.project({ path: "pnpm" }));
    expect(pnpm.install()._parent?._label).toBe(":node: pnpm");
  });
});
