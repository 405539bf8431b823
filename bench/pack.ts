/**
 * Packing a 20 000-file working tree: hm's packer against GNU tar on the
 * whole tree (no ignore rules) and against `git ls-files | tar -T -` (git's
 * ignore rules, then tar). Run: `bun bench/pack.ts`. The tree is a git
 * repository with a `.gitignore` that leaves out a `node_modules/` of 2 000
 * more files; the file cache is warm (each variant runs once before timing).
 * Prints the median of 7 runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packWorkspace } from "../src/run/workspace/pack.ts";

const RUNS = 7;
const base = mkdtempSync(join(tmpdir(), "hm-bench-pack-"));
const root = join(base, "tree");
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: base, GIT_CONFIG_NOSYSTEM: "1" };

function makeTree(): void {
  for (let i = 0; i < 20_000; i++) {
    const dir = join(root, `pkg-${i % 40}`, `src-${i % 13}`, `mod-${i % 5}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `file-${i}.ts`), `export const value${i} = ${i};\n`.repeat(i % 97));
  }
  for (let i = 0; i < 2_000; i++) {
    const dir = join(root, "node_modules", `dep-${i % 50}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `index-${i}.js`), "module.exports = 1;\n");
  }
  writeFileSync(join(root, ".gitignore"), "node_modules/\n*.log\n");
  Bun.spawnSync(["git", "init", "--quiet"], { cwd: root, env });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function time(name: string, run: () => Promise<unknown> | unknown): Promise<void> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  const output = join(base, "out.tar");
  const size = Bun.file(output).size;
  console.log(`${name.padEnd(44)} ${median(times).toFixed(1).padStart(7)} ms  ${(size / 1e6).toFixed(1)} MB`);
}

function shell(script: string): void {
  const proc = Bun.spawnSync(["sh", "-c", script], { cwd: root, env, stdout: "ignore", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`${script}: ${proc.stderr.toString()}`);
}

try {
  makeTree();
  const output = join(base, "out.tar");
  console.log(`20 000 files (+2 000 ignored) in ${root}, median of ${RUNS}`);
  await time("hm packWorkspace", () => packWorkspace({ root, pipelineDir: null, output, env }));
  await time("tar cf (everything but .git)", () => shell(`tar --exclude=.git -cf ${output} .`));
  await time("git ls-files | tar -T -", () =>
    shell(
      `git ls-files -z --others --cached --exclude-standard | tar --null --no-recursion -T - -cf ${output}`,
    ),
  );
} finally {
  rmSync(base, { recursive: true, force: true });
}
