/**
 * `hm init` templates: one `.hm/pipeline.ts` per kind of project. Each
 * installs dependencies once in a cached root step and forks the checks off
 * it, so they run in parallel from the same snapshot.
 */
export interface Template {
  readonly name: string;
  readonly label: string;
  readonly source: string;
}

const header = (imports: string) => `import { ${imports} } from "@harmont/hm";\n`;

export const TEMPLATES: readonly Template[] = [
  {
    name: "bun",
    label: "TypeScript (Bun)",
    source: `${header("onChange, pipeline, pullRequest, push, sh")}
// Dependencies install once, cached until the manifest or lockfile changes;
// the checks start from that snapshot and run side by side.
const deps = sh("bun install --frozen-lockfile", {
  label: "install",
  image: "oven/bun:1",
  cache: onChange("package.json", "bun.lock"),
});

export default {
  slug: "ci",
  name: "CI",
  triggers: [push({ branch: "main" }), pullRequest()],
  pipeline: pipeline([
    deps.sh("bunx tsc --noEmit", { label: "typecheck" }),
    deps.sh("bun test", { label: "test" }),
  ]),
};
`,
  },
  {
    name: "node",
    label: "JavaScript / TypeScript (Node.js, npm)",
    source: `${header("onChange, pipeline, pullRequest, push, sh")}
const deps = sh("npm ci", {
  label: "install",
  image: "node:22",
  cache: onChange("package.json", "package-lock.json"),
});

export default {
  slug: "ci",
  name: "CI",
  triggers: [push({ branch: "main" }), pullRequest()],
  pipeline: pipeline([
    deps.sh("npm run build --if-present", { label: "build" }),
    deps.sh("npm test", { label: "test" }),
    deps.sh("npm run lint --if-present", { label: "lint" }),
  ]),
};
`,
  },
  {
    name: "rust",
    label: "Rust (cargo)",
    source: `${header("onChange, pipeline, pullRequest, push, sh, timeout")}
// Fetch and build dependencies once; test, clippy and fmt reuse that snapshot.
const deps = sh("cargo fetch --locked && cargo build --locked --all-targets", {
  label: "build",
  image: "rust:1",
  cache: onChange("Cargo.toml", "Cargo.lock"),
});

export default {
  slug: "ci",
  name: "CI",
  triggers: [push({ branch: "main" }), pullRequest()],
  pipeline: pipeline(
    [
      timeout("30m", deps.sh("cargo test --locked", { label: "test" })),
      deps.sh("rustup component add clippy && cargo clippy --locked --all-targets -- -D warnings", { label: "clippy" }),
      deps.sh("rustup component add rustfmt && cargo fmt --all --check", { label: "fmt" }),
    ],
    { env: { CARGO_TERM_COLOR: "never", RUST_BACKTRACE: "1" } },
  ),
};
`,
  },
  {
    name: "go",
    label: "Go",
    source: `${header("onChange, pipeline, pullRequest, push, sh")}
const deps = sh("go mod download", {
  label: "download",
  image: "golang:1",
  cache: onChange("go.mod", "go.sum"),
});

export default {
  slug: "ci",
  name: "CI",
  triggers: [push({ branch: "main" }), pullRequest()],
  pipeline: pipeline([
    deps.sh("go build ./...", { label: "build" }),
    deps.sh("go test ./...", { label: "test" }),
    deps.sh("go vet ./...", { label: "vet" }),
    deps.sh('test -z "$(gofmt -l .)"', { label: "fmt" }),
  ]),
};
`,
  },
  {
    name: "python",
    label: "Python (pip)",
    source: `${header("onChange, pipeline, pullRequest, push, sh")}
const deps = sh("pip install -r requirements.txt pytest ruff", {
  label: "install",
  image: "python:3.12",
  cache: onChange("requirements.txt"),
});

export default {
  slug: "ci",
  name: "CI",
  triggers: [push({ branch: "main" }), pullRequest()],
  pipeline: pipeline([
    deps.sh("python -m pytest", { label: "test" }),
    deps.sh("ruff check .", { label: "lint" }),
    deps.sh("ruff format --check .", { label: "fmt" }),
  ]),
};
`,
  },
  {
    name: "shell",
    label: "Plain shell",
    source: `${header("pipeline, push, sh, wait")}
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
  return TEMPLATES.find((t) => t.name === name);
}
