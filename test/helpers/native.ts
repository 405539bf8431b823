/**
 * Native libraries for tests: the fixtures built by scripts/build-native.ts
 * (the preload builds them before any test runs), and small C plugins
 * compiled on the spot against plugins/sdk/hm_plugin.h.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { REPO_ROOT } from "./hm.ts";

export type FixtureName =
  | "noop-executor"
  | "recording-hook"
  | "abort-hook"
  | "failing-subcommand"
  | "host-fn-probe"
  | "bad-api-version"
  | "freestyle-runner"
  | "not-a-plugin"
  | "rust-stabby-lookalike";

export function fixturePath(name: FixtureName): string {
  return join(REPO_ROOT, "build", "fixtures", `${name}.${LIBRARY_EXTENSION}`);
}

/** Compiles one C source (which includes hm_plugin.h) into `<dir>/<name>.<ext>`. */
export function compilePlugin(dir: string, name: string, source: string): string {
  mkdirSync(dir, { recursive: true });
  const cFile = join(dir, `${name}.c`);
  const out = join(dir, `${name}.${LIBRARY_EXTENSION}`);
  writeFileSync(cFile, source);
  const cc = process.env.CC ?? "cc";
  const result = Bun.spawnSync(
    [
      cc,
      "-std=c99",
      "-shared",
      "-fPIC",
      "-Wall",
      "-Wextra",
      "-I",
      join(REPO_ROOT, "plugins", "sdk"),
      "-o",
      out,
      cFile,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (result.exitCode !== 0) throw new Error(`cc failed for ${name}:\n${result.stderr.toString()}`);
  return out;
}
