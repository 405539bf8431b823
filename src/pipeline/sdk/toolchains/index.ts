/**
 * `@harmont/hm/toolchains` (also `harmont/toolchains`): the reference SDK's
 * toolchain helpers, with its names, options, defaults and lowering. Each
 * installs once in a cached chain (apt base → toolchain) and forks its
 * actions off it. Files a toolchain reads are read from the project
 * directory (`project-dir.ts`).
 */
import { UvProject, uv } from "./python.ts";

export type { FeaturePowersetOptions } from "./cargo-actions.ts";
export {
  type CMakeOptions,
  CMakeProject,
  type CMakeProjectOptions,
  CMakeToolchain,
  type CMakeToolchainOptions,
  cmake,
} from "./cmake.ts";
export { type ElixirOptions, ElixirProject, elixir } from "./elixir.ts";
export { type GoOptions, GoToolchain, go } from "./go.ts";
export { aptBase } from "./install.ts";
export { type JsOptions, JsProject, js, ts } from "./js.ts";
export { type PythonOptions, PythonToolchain, python, type UvOptions } from "./python.ts";
export {
  RustProject,
  type RustProjectOptions,
  RustToolchain,
  type RustToolchainOptions,
  rust,
} from "./rust.ts";
export { type ZigOptions, ZigProject, ZigToolchain, zig } from "./zig.ts";

/** `py.uv()`: a uv-managed Python project. */
export const py = { uv, UvProject };
