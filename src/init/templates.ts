/**
 * `hm init` templates: one `.hm/pipeline.ts` per kind of project. As the
 * reference's do, the language templates use the toolchain helpers
 * (`@harmont/hm/toolchains`): each installs its tools once in cached steps
 * and forks the checks off them, so they run in parallel from one snapshot.
 */
export interface Template {
  readonly name: string;
  readonly label: string;
  readonly source: string;
  /** Other names `-t` takes for it (the reference's template names). */
  readonly aliases?: readonly string[];
}

/** A template on one toolchain: `setup` builds `project`, whose `leaves` are the pipeline's checks. */
function toolchainTemplate(toolchain: string, setup: string, leaves: string, comment = ""): string {
  return `import { pipeline, pullRequest, push } from "@harmont/hm";
import { ${toolchain} } from "@harmont/hm/toolchains";
${comment}
const project = ${setup};

export default {
  slug: "ci",
  name: "CI",
  triggers: [push({ branch: "main" }), pullRequest()],
  pipeline: pipeline(${leaves}, { env: { CI: "true" } }),
};
`;
}

export const TEMPLATES: readonly Template[] = [
  {
    name: "bun",
    label: "TypeScript (Bun)",
    source: toolchainTemplate(
      "js",
      'js.project({ runtime: "bun" })',
      '[project.run("build"), project.run("test"), project.run("lint")]',
      "\n// Bun and the dependencies install once (cached until bun.lock changes);\n// each package.json script runs from that snapshot, side by side.",
    ),
  },
  {
    name: "node",
    label: "JavaScript / TypeScript (Node.js)",
    aliases: ["js"],
    source: toolchainTemplate(
      "js",
      'js.project({ path: "." })',
      '[project.run("build"), project.run("test"), project.run("lint")]',
      "\n// The package manager (npm, pnpm, yarn or bun) is detected from package.json and the lockfile.",
    ),
  },
  {
    name: "nextjs",
    label: "Next.js",
    source: toolchainTemplate(
      "js",
      'js.project({ path: "." })',
      '[project.run("build"), project.run("lint")]',
      '\n// next build and next lint, through the package.json scripts a Next.js app starts with;\n// add project.run("test") once the app has a test script.',
    ),
  },
  {
    name: "rust",
    label: "Rust (cargo)",
    source: toolchainTemplate(
      "rust",
      'rust.project({ path: "." })',
      "project.ci()",
      "\n// One cached warmup build; ci() runs test, clippy and fmt off it.\n// ci({ nextest: true }) uses cargo-nextest and splits out doctests.",
    ),
  },
  {
    name: "go",
    label: "Go",
    source: toolchainTemplate(
      "go",
      'go({ path: "." })',
      "[project.build(), project.test(), project.vet(), project.fmt()]",
    ),
  },
  {
    name: "python",
    label: "Python (uv)",
    source: toolchainTemplate(
      "python",
      'python({ path: "." })',
      "[project.test(), project.lint(), project.fmt(), project.typecheck()]",
      "\n// uv syncs the project once (cached until uv.lock or pyproject.toml changes);\n// pytest, ruff and ty run from that snapshot.",
    ),
  },
  {
    name: "cmake",
    label: "C / C++ (CMake)",
    source: toolchainTemplate(
      "cmake",
      'cmake({ path: ".", defines: { CMAKE_BUILD_TYPE: "Release" } })',
      "[project.test(), project.lint(), project.fmt()]",
    ),
  },
  {
    name: "zig",
    label: "Zig",
    source: toolchainTemplate(
      "zig",
      'zig({ path: "." })',
      "[project.build(), project.test(), project.fmt()]",
    ),
  },
  {
    name: "elixir",
    label: "Elixir (mix)",
    source: toolchainTemplate(
      "elixir",
      'elixir({ path: "." })',
      "[project.compile(), project.test(), project.format(), project.credo(), project.dialyzer()]",
    ),
  },
  {
    name: "shell",
    label: "Plain shell",
    source: `import { pipeline, push, sh, wait } from "@harmont/hm";

// Each sh() is a step; .sh() on a step runs in that step's filesystem;
// wait() makes everything after it wait for everything before it.
const build = sh("make build", { label: "build" });

export default {
  slug: "ci",
  name: "CI",
  triggers: [push({ branch: "main" })],
  pipeline: pipeline([build.sh("make test", { label: "test" }), wait(), sh("echo all checks passed", { label: "done" })]),
};
`,
  },
];

export function templateNamed(name: string): Template | undefined {
  return TEMPLATES.find((t) => t.name === name || t.aliases?.includes(name));
}

/** Every name `-t` takes: each template's, followed by its aliases. */
export const TEMPLATE_NAMES: readonly string[] = TEMPLATES.flatMap((t) => [t.name, ...(t.aliases ?? [])]);
