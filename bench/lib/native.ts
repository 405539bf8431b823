/**
 * The bench's own native code, built from bench/plugins/ into build/bench/ (gitignored) when
 * missing or older than its sources: shared-library plugins with the system C compiler, the
 * stdio host executable, and the WebAssembly module with clang + wasm-ld + wasi-libc (Debian:
 * `apt-get install clang lld wasi-libc libclang-rt-dev-wasm32`).
 */
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";

export const REPO_ROOT = join(import.meta.dir, "..", "..");
export const BENCH_BUILD = join(REPO_ROOT, "build", "bench");
const SOURCES = join(REPO_ROOT, "bench", "plugins");
const SDK = join(REPO_ROOT, "plugins", "sdk");
const WARNINGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-I", SDK];

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

function build(output: string, sources: string[], command: (out: string) => string[]): string {
  const inputs = [...sources.map((s) => join(SOURCES, s)), join(SDK, "hm_plugin.h")];
  if (mtime(output) >= Math.max(...inputs.map(mtime))) return output;
  mkdirSync(BENCH_BUILD, { recursive: true });
  const temp = `${output}.tmp-${process.pid}`;
  const r = Bun.spawnSync([...command(temp), ...inputs.slice(0, -1)], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`building ${output} failed:\n${r.stderr.toString()}`);
  Bun.spawnSync(["mv", temp, output]);
  return output;
}

const cc = () => (process.env.CC ?? "cc").split(/\s+/).filter(Boolean);

/** A bench plugin (bench/plugins/<name>.c) as a shared library hm can load. */
export function benchPlugin(name: "noop-step" | "host-loop"): string {
  return build(join(BENCH_BUILD, `${name}.${LIBRARY_EXTENSION}`), [`${name}.c`], (out) => [
    ...cc(),
    ...WARNINGS,
    "-shared",
    "-fPIC",
    "-o",
    out,
  ]);
}

/**
 * `count` copies of the start-up hook plugin with distinct names (hm-bench-startup-<i>) in
 * build/bench/startup/ (each compiled once); returns their paths.
 */
export function startupPlugins(count: number): string[] {
  const dir = join(BENCH_BUILD, "startup");
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, i) =>
    build(join(dir, `hm-bench-startup-${i}.${LIBRARY_EXTENSION}`), ["startup-hook.c"], (out) => [
      ...cc(),
      ...WARNINGS,
      "-shared",
      "-fPIC",
      `-DBENCH_PLUGIN_NAME="hm-bench-startup-${i}"`,
      "-o",
      out,
    ]),
  );
}

/** The noop-step plugin linked into the stdio host (exec-per-call, or `--serve` over a pipe). */
export function stdioHost(): string {
  return build(join(BENCH_BUILD, "stdio-host"), ["stdio-host.c", "noop-step.c"], (out) => [
    ...cc(),
    ...WARNINGS,
    "-o",
    out,
  ]);
}

/** The noop-step plugin as a wasm32-wasi reactor module, or why it cannot be built here. */
export function wasmModule(): { path: string } | { missing: string } {
  if (Bun.which("clang") === null) return { missing: "clang is not installed" };
  try {
    const path = build(join(BENCH_BUILD, "noop-step.wasm"), ["wasm-host.c", "noop-step.c"], (out) => [
      "clang",
      "--target=wasm32-wasi",
      "--sysroot=/usr",
      ...WARNINGS,
      "-mexec-model=reactor",
      "-o",
      out,
    ]);
    return { path };
  } catch (error) {
    return {
      missing: error instanceof Error ? error.message.split("\n").slice(0, 3).join(" ") : String(error),
    };
  }
}
