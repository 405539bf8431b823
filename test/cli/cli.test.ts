/** The CLI frame through the real process: help, versions, strict arguments and exit codes. */
import { describe, expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { OWN_PIPELINE_PRESENT, runHm } from "../helpers/hm.ts";

describe("hm CLI", () => {
  test("--help lists the built-in commands and exits 0", async () => {
    const result = await runHm(["--help"]);
    expect(result.exitCode).toBe(0);
    for (const command of ["init", "pipelines", "render", "version"])
      expect(result.stdout).toContain(command);
    expect(result.stdout).toContain("--no-color");
  });

  test("bare hm prints the help", async () => {
    const result = await runHm([]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("USAGE hm");
  });

  test("help of a command shows its full path and arguments", async () => {
    const result = await runHm(["render", "--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("USAGE hm render");
    expect(result.stdout).toContain("--dir");
    expect(result.stdout).toContain("SLUG");
  });

  test("help is plain text when stdout is not a terminal", async () => {
    const result = await runHm(["--help"], { env: { NO_COLOR: "" } });
    expect(result.stdout).not.toContain("\x1b[");
  });

  test("--version and -V print the version, also after a command", async () => {
    for (const args of [["--version"], ["-V"], ["render", "--version"]]) {
      const result = await runHm(args);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(`hm ${pkg.version}\n`);
    }
  });

  test("hm version prints the version, the plugin ABI and protocol, and the plugin count", async () => {
    const result = await runHm(["version"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`hm ${pkg.version}\nplugin ABI 1, protocol 3\nplugins loaded: 1\n`); // the bundled shell plugin
  });

  test("an unknown option is a usage error naming it", async () => {
    const result = await runHm(["render", "ci", "--frobnicate"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "✘ unknown option '--frobnicate' for 'hm render'\n→ hm render --help lists what it takes\n",
    );
  });

  test("an unknown short option and a grouped value option are refused", async () => {
    expect((await runHm(["render", "ci", "-x"])).stderr).toContain("unknown option '-x'");
    expect((await runHm(["render", "ci", "-d"])).stderr).toContain("option '-d' needs a value");
    expect((await runHm(["render", "ci", "--dir", "--verbose"])).stderr).toContain(
      "option '--dir' needs a value",
    );
  });

  test("a missing argument is a usage error", async () => {
    const result = await runHm(["plugin", "info"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("✘ missing required argument <NAME>");
  });

  test("an extra argument is a usage error", async () => {
    const result = await runHm(["render", "a", "b"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("unexpected argument 'b' for 'hm render'");
  });

  test("an unknown command lists the available ones and how to add one", async () => {
    const result = await runHm(["deploy"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "✘ unknown command 'deploy'\n  available: [cache, completions, gc, init, logs, pipelines, plugin, render, run, runs, version]\n→ hm plugin install <ref> to add a plugin that provides this command\n",
    );
  });

  test("a bad enum value is a usage error listing the choices", async () => {
    const result = await runHm(["init", "-t", "cobol"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "✘ unknown --template 'cobol'\n→ available: bun, node, js, nextjs, rust, go, python, cmake, zig, elixir, shell\n",
    );
  });

  test("global flags work anywhere before --", async () => {
    const result = await runHm(["pipelines", "--no-color", "-v", "-d", "/nonexistent"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("does not exist");
  });

  test("colour follows --no-color, NO_COLOR and the terminal: piped errors carry no escapes", async () => {
    const result = await runHm(["deploy"], { env: { NO_COLOR: "" } });
    expect(result.stderr).not.toContain("\x1b[");
  });

  test("after -- nothing is a flag: --help there is an argument, not a request for help", async () => {
    const result = await runHm(["render", "-d", "test/fixtures/sdk-parity/single-sh", "--", "--help"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("✘ pipeline '--help' not found");
  });

  test.skipIf(!OWN_PIPELINE_PRESENT)("hm's own pipeline renders", async () => {
    const result = await runHm(["render", "ci"]);
    expect(result.exitCode).toBe(0);
    const keys = JSON.parse(result.stdout).graph.nodes.map((n: { step: { key: string } }) => n.step.key);
    expect(keys).toEqual(["install", "typecheck", "lint", "test"]);
  });
});
