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
  | "stubborn-runner"
  | "not-a-plugin"
  | "rust-stabby-lookalike"
  | "exiting-runner"
  | "flood-runner"
  | "manifest-segfault"
  | "manifest-abort"
  | "manifest-exit"
  | "manifest-hang"
  | "load-segfault";

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

export interface HookPluginSpec {
  /** Hook kinds, e.g. `["HM_HOOK_STEP_END"]`. */
  readonly kinds: readonly string[];
  readonly phase: "before" | "after";
  readonly timeoutMs: number;
  /** The body of `static int on_event(hm_ctx *ctx, const hm_hook_event *in, hm_hook_outcome *out)`. */
  readonly body: string;
}

/** Compiles a one-hook plugin named `name` into `<dir>/<name>.<ext>` (the directory is created). */
export function compileHookPlugin(dir: string, name: string, spec: HookPluginSpec): string {
  return compilePlugin(
    dir,
    name,
    `#define _POSIX_C_SOURCE 200809L
#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
#include <time.h>
static int on_event(hm_ctx *ctx, const hm_hook_event *in, hm_hook_outcome *out) {
  (void)ctx; (void)in; (void)out;
  ${spec.body}
}
static const hm_hook_kind kinds[] = {${spec.kinds.join(", ")}};
static const hm_capability caps[] = {{.kind = HM_CAP_LIFECYCLE_HOOK, .as.lifecycle_hook = {
  .events = kinds, .event_count = ${spec.kinds.length},
  .phase = ${spec.phase === "before" ? "HM_HOOK_BEFORE" : "HM_HOOK_AFTER"}, .timeout_ms = ${spec.timeoutMs}}}};
static const hm_manifest manifest = {.name = "${name}", .version = "0.1.0", .description = "test hook",
  .capabilities = caps, .capability_count = 1};
static const hm_plugin_def plugin = {.manifest = &manifest, .on_hook_event = on_event};
HM_PLUGIN(plugin);
`,
  );
}
