/** `hm help [COMMAND…]` through the real process: the same text as `--help`, plugin verbs included. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { runHm, tempDir } from "../helpers/hm.ts";
import { fixturePath } from "../helpers/native.ts";

const plugins = tempDir("hm-help-plugins-");
beforeAll(() => {
  copyFileSync(fixturePath("host-fn-probe"), join(plugins.path, `host-fn-probe.${LIBRARY_EXTENSION}`));
});
afterAll(() => plugins.cleanup());

const hm = (args: string[]) => runHm(args, { env: { HM_PLUGIN_PATH: plugins.path } });

test("hm help prints what hm --help prints", async () => {
  const [help, flag] = await Promise.all([hm(["help"]), hm(["--help"])]);
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toContain("USAGE hm");
  expect(help.stdout).toBe(flag.stdout);
  expect(help.stderr).toBe(flag.stderr);
});

test("hm help COMMAND prints what hm COMMAND --help prints, for commands, subcommands and plugin verbs", async () => {
  for (const path of [
    ["run"],
    ["render"],
    ["plugin"],
    ["plugin", "install"],
    ["cache", "ls"],
    ["fixture-probe"],
  ]) {
    const [help, flag] = await Promise.all([hm(["help", ...path]), hm([...path, "--help"])]);
    expect(help.exitCode, path.join(" ")).toBe(0);
    expect(help.stdout, path.join(" ")).toContain(`USAGE hm ${path.join(" ")}`);
    expect(help.stdout, path.join(" ")).toBe(flag.stdout);
  }
});

test("hm help with an unknown command is the unknown-command error, exit 2", async () => {
  const [help, direct] = await Promise.all([hm(["help", "deploy"]), hm(["deploy"])]);
  expect(help.exitCode).toBe(2);
  expect(help.stdout).toBe("");
  expect(help.stderr).toContain("✘ unknown command 'deploy'");
  expect(help.stderr).toBe(direct.stderr);
  const sub = await hm(["help", "plugin", "nosuch"]);
  expect(sub.exitCode).toBe(2);
  expect(sub.stderr).toContain("✘ unknown command 'nosuch'");
});
