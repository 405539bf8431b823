/**
 * The template `hm init` preselects from what the project directory already
 * holds. The answer carries the file that decided it, so hm can say why.
 */
import { readdirSync } from "node:fs";
import { detectJsExplained } from "../pipeline/sdk/toolchains/detect.ts";
import { type Template, templateNamed } from "./templates.ts";

export interface DetectedTemplate {
  readonly template: Template;
  /** The files that decided, as the user would name them ("Cargo.toml", "package.json and pnpm-lock.yaml"). */
  readonly because: string;
}

/**
 * One marker file per template, checked in this order: a project holding
 * several (a Rust crate with a package.json for its docs) gets the first;
 * the prompt still offers the others.
 */
const MARKERS: readonly (readonly [file: string, template: string])[] = [
  ["CMakeLists.txt", "cmake"],
  ["Cargo.toml", "rust"],
  ["go.mod", "go"],
  ["build.zig", "zig"],
  ["mix.exs", "elixir"],
  ["uv.lock", "python"],
  ["pyproject.toml", "python"],
];

/** Null when nothing in `dir` points at a template (or `dir` is missing or unreadable). */
export function detectTemplate(dir: string): DetectedTemplate | null {
  const present = new Set(listDir(dir));
  for (const [file, name] of MARKERS) {
    if (present.has(file)) return named(name, file);
  }
  if (present.has("package.json")) return jsTemplate(dir);
  // Last: many projects of every language keep a Makefile beside their own build files.
  return present.has("Makefile") ? named("shell", "Makefile") : null;
}

function named(name: string, because: string): DetectedTemplate | null {
  const template = templateNamed(name);
  return template === undefined ? null : { template, because };
}

/**
 * A JS project: the bun template when the project runs on bun, else the node
 * one, whose `js.project()` picks npm, pnpm, yarn or deno from the same files
 * when the pipeline renders. Detection is the toolchain's own, so the
 * template and the pipeline it renders never disagree about the runtime.
 */
function jsTemplate(dir: string): DetectedTemplate | null {
  const { detected, sources } = detectJsExplained(dir);
  const onBun = detected.runtime === "bun" && (detected.pm === undefined || detected.pm === "bun");
  const source = onBun ? sources.runtime : (sources.pm ?? sources.runtime);
  const because =
    source === undefined
      ? "package.json"
      : source.startsWith("package.json")
        ? source
        : `package.json and ${source}`;
  return named(onBun ? "bun" : "node", because);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
