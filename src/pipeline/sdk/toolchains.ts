/**
 * `@harmont/hm/toolchains`: the reference SDK's toolchain names. They are not
 * implemented yet (`decisions.md` §9): calling one says so, naming it, rather
 * than failing with "is not a function".
 */
function unsupported(name: string): (...args: unknown[]) => never {
  const fn = (): never => {
    throw new Error(`toolchain '${name}' is not supported by hm yet\n  → write the steps with sh() for now`);
  };
  Object.defineProperty(fn, "name", { value: name });
  return fn;
}

export const js = unsupported("js");
export const ts = unsupported("ts");
export const JsProject = unsupported("JsProject");
export const go = unsupported("go");
export const GoToolchain = unsupported("GoToolchain");
export const rust = unsupported("rust");
export const RustToolchain = unsupported("RustToolchain");
export const RustProject = unsupported("RustProject");
export const python = unsupported("python");
export const PythonToolchain = unsupported("PythonToolchain");
export const cmake = unsupported("cmake");
export const CMakeToolchain = unsupported("CMakeToolchain");
export const CMakeProject = unsupported("CMakeProject");
export const zig = unsupported("zig");
export const ZigToolchain = unsupported("ZigToolchain");
export const ZigProject = unsupported("ZigProject");
export const elixir = unsupported("elixir");
export const ElixirProject = unsupported("ElixirProject");
export const py = { uv: unsupported("py.uv"), UvProject: unsupported("py.UvProject") };
export const aptBase = unsupported("aptBase");
