/**
 * The layer order of `docs/design.md` ("Layers"), checked on the sources:
 * imports only point down, and only the CLI layer ends the process
 * ("Signals").
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { REPO_ROOT } from "./helpers/hm.ts";

const SRC = join(REPO_ROOT, "src");

/** Rank of each folder; a module may import its own folder, a lower rank, and files directly in src/. */
const RANK: Record<string, number> = {
  "report-channel": 0,
  protocol: 0,
  trace: 0,
  runner: 1,
  tar: 2,
  pipeline: 2,
  plugins: 2,
  docker: 2,
  init: 2,
  run: 3,
  supervise: 4,
  cli: 5,
};

function sources(): string[] {
  return [...new Bun.Glob("**/*.ts").scanSync(SRC)].map((path) => join(SRC, path));
}

/** The folder under src/ a path is in, or null for files directly in src/. */
function folderOf(path: string): string | null {
  const parts = relative(SRC, path).split("/");
  return parts.length > 1 ? (parts[0] as string) : null;
}

test("no module imports a higher layer", () => {
  const upward: string[] = [];
  for (const file of sources()) {
    const from = folderOf(file);
    if (from === null) continue;
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = join(dirname(file), match[1] as string);
      const to = folderOf(target);
      if (to === null || to === from) continue;
      if ((RANK[to] ?? 0) > (RANK[from] ?? 0))
        upward.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
    }
  }
  expect(upward).toEqual([]);
});

/** The code of a module, without comments and string literals (a message may name process.exit). */
function codeOf(file: string): string {
  return readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\/|(?<![:"'`])\/\/.*/g, "")
    .replace(/`(?:\\.|[^`\\])*`|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'/g, '""');
}

test("only main.ts and the CLI end the process; an entry point of its own process may", () => {
  const exits = sources()
    .filter((file) => /\bprocess\.exit\(/.test(codeOf(file)))
    .map((file) => relative(SRC, file))
    .filter((path) => path !== "main.ts" && !path.startsWith("cli/"));
  // `hm __pipelines` ends when the hm that started it is gone: nothing awaits its answer then.
  expect(exits).toEqual(["pipeline/eval-child.ts"]);
});
