/**
 * Where hm finds pipelines and how it reports broken ones, through the real
 * CLI process: project-root search, the .harmont fallback, file order and
 * kinds, and errors that name the file, the pipeline, the step and the field.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { runHm } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const one = (slug: string, cmd = "echo hi") =>
  `import { pipeline, sh } from "@harmont/hm";\nexport default { slug: "${slug}", pipeline: pipeline([sh("${cmd}")]) };\n`;

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
async function slugs(args: string[], cwd?: string): Promise<string[]> {
  const result = await runHm(["pipelines", ...args], cwd === undefined ? {} : { cwd });
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout).pipelines.map((p: { slug: string }) => p.slug);
}

describe("discovery", () => {
  test("a project without pipelines prints exactly the empty envelope", async () => {
    const root = project({ "README.md": "nothing here" });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('{"schema_version":"1","pipelines":[]}\n');
  });

  test("what a pipeline file prints goes to stderr: stdout stays the envelope alone", async () => {
    const root = project({
      ".hm/ci.ts": `console.log("from console.log");\nprocess.stdout.write("from stdout.write\\n");\n${one("ci")}`,
    });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).pipelines.map((p: { slug: string }) => p.slug)).toEqual(["ci"]);
    expect(result.stderr).toBe("from console.log\nfrom stdout.write\n");
  });

  test("without -d the nearest ancestor holding .hm/ is the project", async () => {
    const root = project({ ".hm/ci.ts": one("ci"), "src/deep/file.txt": "x" });
    expect(await slugs([], join(root, "src", "deep"))).toEqual(["ci"]);
  });

  test(".harmont/ is used when there is no .hm/, and .hm/ wins when both exist", async () => {
    const legacy = project({ ".harmont/old.ts": one("old") });
    expect(await slugs(["-d", legacy])).toEqual(["old"]);
    const both = project({ ".harmont/old.ts": one("old"), ".hm/new.ts": one("new") });
    expect(await slugs(["-d", both])).toEqual(["new"]);
  });

  test("modules and IR files load in sorted name order; other files and .d.ts are ignored", async () => {
    const root = project({
      ".hm/b.ts": one("b"),
      ".hm/a.mjs": `import { pipeline, sh } from "hm";\nexport const pipelines = [{ slug: "a", pipeline: pipeline([sh("x")]) }];\n`,
      ".hm/c.ir.json": JSON.stringify({
        version: "0",
        steps: [{ type: "command", key: "only", cmd: "true" }],
      }),
      ".hm/types.d.ts": "export {};\n",
      ".hm/package.json": "{}",
      ".hm/tsconfig.json": "{}",
      ".hm/lib/helper.ts": "throw new Error('never imported');\n",
    });
    expect(await slugs(["-d", root])).toEqual(["a", "b", "c"]);
  });

  test("an IR file renders in the graph format", async () => {
    const root = project({
      ".hm/deploy.ir.json": JSON.stringify({
        version: "0",
        default_image: "alpine",
        steps: [
          { type: "command", key: "build", cmd: "make" },
          { type: "command", key: "ship", cmd: "make ship", builds_in: "build" },
        ],
      }),
    });
    const result = await runHm(["render", "deploy", "-d", root]);
    expect(result.exitCode).toBe(0);
    const ir = JSON.parse(result.stdout);
    expect(ir.graph.edges).toEqual([[0, 1, "builds_in"]]);
    expect(ir.graph.nodes[0].step.image).toBe("alpine");
  });

  test("a Python-only project is evaluated by python3; Python beside TypeScript is a warning", async () => {
    const py = project({ ".hm/pipeline.py": "import harmont\n" });
    const evaluated = await runHm(["pipelines", "-d", py]);
    expect(evaluated.exitCode).toBe(0);
    expect(evaluated.stdout).toBe('{"schema_version":"1","pipelines":[]}\n');
    const mixed = project({ ".hm/pipeline.py": "", ".hm/ci.ts": one("ci") });
    const warned = await runHm(["pipelines", "-d", mixed]);
    expect(warned.exitCode).toBe(0);
    expect(warned.stderr).toContain("ignoring the Python ones (.hm/pipeline.py)");
  });

  test("~/.harmont (hm's own directory) is never taken for a project's pipelines", async () => {
    const home = project({
      ".harmont/plugins/readme.txt": "",
      ".harmont/notes.py": "",
      "code/app/README.md": "",
    });
    const result = await runHm(["pipelines"], { cwd: join(home, "code", "app"), env: { HOME: home } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('{"schema_version":"1","pipelines":[]}\n');
  });

  test("a dangling symlink in .hm/ is ignored", async () => {
    const root = project({ ".hm/ci.ts": one("ci") });
    symlinkSync("/nonexistent/x.ts", join(root, ".hm", "gone.ts"));
    expect(await slugs(["-d", root])).toEqual(["ci"]);
  });

  test("-d to a missing directory is a usage error", async () => {
    const result = await runHm(["pipelines", "-d", "/nonexistent/hm/project"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("project directory /nonexistent/hm/project does not exist");
  });
});

describe("broken pipeline files", () => {
  test("a file that throws is named with its line, exit 2", async () => {
    const root = project({
      ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";\n\nexport default { slug: "ci", pipeline: pipeline([sh("a", { cwd: "" })]) };\n`,
    });
    const result = await runHm(["render", "ci", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("✘ .hm/ci.ts:3: cwd must be a non-empty path");
    expect(result.stderr).toContain("→ omit cwd to run in the workspace root");
  });

  test("a syntax error names the file", async () => {
    const root = project({ ".hm/ci.ts": "export default {{;\n" });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('✘ .hm/ci.ts:1:17: Expected identifier but found "{"');
  });

  test("a file that exports no pipeline says what to export", async () => {
    const root = project({ ".hm/ci.ts": "export const x = 1;\n" });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("✘ .hm/ci.ts exports no pipeline definition");
    expect(result.stderr).toContain("export default");
  });

  test("a definition with a wrong field names the pipeline and the field", async () => {
    const root = project({
      ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";\nexport default [{ slug: "ci", allowManual: "yes", pipeline: pipeline([sh("a")]) }];\n`,
    });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      "✘ .hm/ci.ts: export default[0] (pipeline 'ci'): 'allowManual' must be a boolean (got the string \"yes\")",
    );
  });

  test("an invalid graph is exit 7 and names the file, pipeline, step and field", async () => {
    const root = project({
      ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";
const ir = pipeline([sh("a", { label: "build" })]);
(ir.graph.nodes[0].step as { timeout_seconds?: number }).timeout_seconds = -1;
export default { slug: "ci", pipeline: ir };
`,
    });
    const result = await runHm(["render", "ci", "-d", root]);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(
      "✘ .hm/ci.ts: pipeline 'ci': step 'build': timeout_seconds: must be > 0 (got -1)",
    );
  });

  test("duplicate explicit keys are exit 7", async () => {
    const root = project({
      ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";\nexport default { slug: "ci", pipeline: pipeline([sh("a", { key: "k" }), sh("b", { key: "k" })]) };\n`,
    });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain("two steps share the key 'k'");
  });

  test("the same slug in two files names both", async () => {
    const root = project({ ".hm/a.ts": one("ci"), ".hm/b.ts": one("ci") });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("✘ .hm/b.ts: pipeline slug 'ci' is already defined in .hm/a.ts");
  });

  test("a broken IR file is exit 7 and named", async () => {
    const root = project({ ".hm/x.ir.json": "{ not json" });
    const result = await runHm(["pipelines", "-d", root]);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain("✘ .hm/x.ir.json: not valid JSON");
  });

  test("an unknown slug lists the available ones", async () => {
    const root = project({ ".hm/a.ts": one("alpha"), ".hm/b.ts": one("beta") });
    const result = await runHm(["render", "gamma", "-d", root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("✘ pipeline 'gamma' not found\n→ available: alpha, beta");
    const none = project({ "x.txt": "" });
    mkdirSync(join(none, ".hm"));
    expect((await runHm(["render", "gamma", "-d", none])).stderr).toContain("available: (none)");
  });
});
