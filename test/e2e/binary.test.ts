/**
 * The compiled executable, built once here and run from a directory outside
 * the repository: nothing may depend on files beside the sources, and it must
 * never read the user's .env or bunfig.toml.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { buildBinaryOnce } from "../helpers/build-binary.ts";
import { dockerProject, dockerReady, ensureTestImage, TEST_IMAGE } from "../helpers/docker.ts";
import { parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { BINARY_PATH, OWN_PIPELINE_PRESENT, REPO_ROOT, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { fixturePath } from "../helpers/native.ts";
import { caseDir, expectedEnvelope, PARITY_NOW, parityCases, parityCorpus } from "../helpers/parity.ts";
import { makeProject } from "../helpers/project.ts";
import { hasTmux, openTerminal } from "../helpers/tmux.ts";

const outside = tempDir("hm-binary-cwd-");

beforeAll(() => buildBinaryOnce(), 120_000);

afterAll(() => outside.cleanup());

const bin = (args: string[], env: Record<string, string> = {}) =>
  runHm(args, { binary: true, cwd: outside.path, env });

describe("dist/hm", () => {
  test("--help lists the commands", async () => {
    const result = await bin(["--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("USAGE hm");
    expect(result.stdout).toContain("render");
  });

  test("renders every parity case exactly as the reference SDK, from another directory", async () => {
    for (const name of parityCases) {
      const result = await bin(["pipelines", "-d", caseDir(name)], { SOURCE_DATE_EPOCH: PARITY_NOW });
      expect(result.stdout).toBe(expectedEnvelope(name));
    }
  });

  test("renders every toolchain parity case exactly as the reference SDK, from another directory", async () => {
    const toolchains = parityCorpus("toolchain-parity");
    for (const name of toolchains.cases) {
      const result = await bin(["pipelines", "-d", toolchains.dir(name)], { SOURCE_DATE_EPOCH: PARITY_NOW });
      expect(result.stdout).toBe(toolchains.expected(name));
    }
  });

  test.skipIf(!OWN_PIPELINE_PRESENT)("hm render of hm's own pipeline matches the source run", async () => {
    const compiled = await bin(["render", "ci", "-d", REPO_ROOT], { SOURCE_DATE_EPOCH: PARITY_NOW });
    const source = await runHm(["render", "ci", "-d", REPO_ROOT], { env: { SOURCE_DATE_EPOCH: PARITY_NOW } });
    expect(compiled.exitCode).toBe(0);
    expect(compiled.stdout).toBe(source.stdout);
  });

  test("exit codes and messages match the source-run CLI", async () => {
    const cases = [
      ["deploy"],
      ["render"],
      ["render", "x", "--bogus"],
      ["render", "nope", "-d", caseDir("single-sh")],
      ["pipelines", "-d", "/nonexistent"],
    ];
    for (const args of cases) {
      const compiled = await bin(args);
      const source = await runHm(args, { cwd: outside.path });
      expect({ args, code: compiled.exitCode, err: compiled.stderr }).toEqual({
        args,
        code: source.exitCode,
        err: source.stderr,
      });
    }
  });

  test("a .env and a bunfig.toml in the working directory are not loaded", async () => {
    writeFileSync(join(outside.path, ".env"), "HM_PIPELINE_ORG=from-dotenv\n");
    writeFileSync(join(outside.path, "bunfig.toml"), 'preload = ["./nope.ts"]\n');
    const result = await bin(["pipelines", "-d", caseDir("cache-forever")], {
      SOURCE_DATE_EPOCH: PARITY_NOW,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(expectedEnvelope("cache-forever"));
  });

  test("plugin verbs work from the binary: listed in --help, run on the bundled worker", async () => {
    const plugins = tempDir("hm-binary-plugins-");
    try {
      for (const f of ["failing-subcommand", "host-fn-probe"] as const) {
        copyFileSync(fixturePath(f), join(plugins.path, `${f}.${LIBRARY_EXTENSION}`));
      }
      const env = { HM_PLUGIN_PATH: plugins.path };
      expect((await bin(["--help"], env)).stdout).toContain("fixture-probe");
      const fail = await bin(["fixture-fail"], env);
      expect([fail.exitCode, fail.stderr]).toEqual([7, "intentional failure for tests\n"]);
      const probe = await bin(["fixture-probe"], env);
      expect(probe.exitCode).toBe(0);
      expect(probe.stdout).toBe("probe stdout\n");
      expect(probe.stderr).toContain('"kv_round_trip":true');
    } finally {
      plugins.cleanup();
    }
  });

  test("the embedded shell runner: written once to the cache dir, runs a step, listed as bundled", async () => {
    const home = tempDir("hm-binary-home-");
    const project = makeProject({
      ".hm/ci.ir.json": irJson([{ key: "hi", cmd: "echo hello from $(basename $PWD)" }]),
    });
    try {
      const env = { HOME: home.path, HM_STATE_DIR: join(home.path, "state") };
      const run = await bin(["run", "-d", project.root, "--runner", "shell", "--format", "json"], env);
      expect(run.stderr).toBe("");
      expect(run.exitCode).toBe(0);
      expect(stepLines(parseEventStream(run.stdout), "hi")).toEqual(["hello from hi"]);
      const cached = readdirSync(join(home.path, ".cache", "hm", "plugins"));
      expect(cached).toEqual([expect.stringMatching(new RegExp(`^[0-9a-f]{64}\\.${LIBRARY_EXTENSION}$`))]);
      const list = await bin(["plugin", "list"], env);
      expect(list.stdout).toContain("runner:shell, hook  [bundled]");
      expect(readdirSync(join(home.path, ".cache", "hm", "plugins"))).toEqual(cached); // not written again
      // A damaged copy (truncated) is written again, not loaded.
      const library = join(home.path, ".cache", "hm", "plugins", cached[0] as string);
      const size = statSync(library).size;
      truncateSync(library, 1000);
      const repaired = await bin(["plugin", "list"], env);
      expect(repaired.exitCode).toBe(0);
      expect(repaired.stdout).toContain("runner:shell, hook  [bundled]");
      expect(statSync(library).size).toBe(size);
    } finally {
      project.cleanup();
      home.cleanup();
    }
  });

  test("plugin install, list and remove from the binary", async () => {
    const home = tempDir("hm-binary-install-");
    try {
      const env = { HOME: home.path };
      const installed = await bin(["plugin", "install", fixturePath("noop-executor")], env);
      expect(installed.exitCode).toBe(0);
      expect(installed.stdout).toContain("Installed plugin 'harmont-fixture-noop'");
      expect((await bin(["plugin", "list"], env)).stdout).toContain("runner:noop");
      const removed = await bin(["plugin", "remove", "harmont-fixture-noop"], env);
      expect(removed.exitCode).toBe(0);
      expect((await bin(["plugin", "list"], env)).stdout).not.toContain("runner:noop");
    } finally {
      home.cleanup();
    }
  });

  test.skipIf(!dockerReady)(
    "runs a step in a container when an engine answers",
    async () => {
      ensureTestImage();
      const project = dockerProject({
        ".hm/ci.ir.json": irJson([{ key: "box", cmd: "echo in-box", image: TEST_IMAGE }]),
      });
      try {
        const run = await bin(["run", "-d", project.root, "--format", "json"]);
        expect(run.exitCode).toBe(0);
        expect(stepLines(parseEventStream(run.stdout), "box")).toEqual(["in-box"]);
      } finally {
        await project.cleanup(); // with the workspace image the run made
      }
    },
    60_000,
  );

  test("hm init works from the binary: it makes -d, picks the template from the files, and the pipeline renders", async () => {
    const scratch = tempDir("hm-binary-init-");
    try {
      const created = join(scratch.path, "new", "app");
      expect((await bin(["init", "-t", "rust", "-d", created])).exitCode).toBe(0);
      const render = await bin(["render", "ci", "-d", created]);
      expect(render.exitCode).toBe(0);
      expect(JSON.parse(render.stdout).version).toBe("0");

      const project = join(scratch.path, "go-project");
      mkdirSync(project);
      writeFileSync(join(project, "go.mod"), "module example.com/x\n");
      const picked = await bin(["init", "-d", project]);
      expect(picked.exitCode).toBe(0);
      expect(picked.stderr).toContain(`picked template go (Go) from go.mod in ${project}`);
      expect((await bin(["render", "ci", "-d", project])).exitCode).toBe(0);
    } finally {
      scratch.cleanup();
    }
  });
});

describe.skipIf(!hasTmux)("dist/hm run on a terminal", () => {
  test("runs steps on the embedded worker; one Ctrl-C cancels with exit 130 and leaves no run behind", async () => {
    const scratch = tempDir("hm-binary-run-");
    const plugins = join(scratch.path, "plugins");
    mkdirSync(plugins);
    copyFileSync(fixturePath("noop-executor"), join(plugins, `noop-executor.${LIBRARY_EXTENSION}`));
    const project = makeProject({
      ".hm/ci.ir.json": irJson([{ key: "long", label: "Long step", env: { NOOP_SLEEP_MS: "60000" } }]),
    });
    const state = join(scratch.path, "state");
    const terminal = openTerminal(
      [
        "sh",
        "-c",
        'trap true INT; env -u CI "$@"; echo "hm exited $?"',
        "sh",
        BINARY_PATH,
        "run",
        "-d",
        project.root,
        "--runner",
        "noop",
      ],
      {
        PATH: process.env.PATH ?? "",
        HOME: scratch.path,
        HM_STATE_DIR: state,
        HM_PLUGIN_PATH: plugins,
        TERM: "xterm-256color",
      },
    );
    try {
      await terminal.waitFor("Long step");
      terminal.keys("C-c");
      const screen = await terminal.waitFor("hm exited 130");
      expect(screen).toContain("✗ Build cancelled after");
      expect(screen).not.toContain("force-exit");
      expect(readdirSync(join(state, "runs"))).toEqual([]);
    } finally {
      terminal.close();
      project.cleanup();
      scratch.cleanup();
    }
  });
});
