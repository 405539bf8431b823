/**
 * Benchmark 7: packing a 20 000-file working tree: hm's packer (src/run/workspace/pack.ts)
 * against `tar cf` and `tar czf` of the whole tree (no ignore rules) and
 * `git ls-files | tar -T -` (git's ignore rules, then tar). The tree is a git repository whose
 * `.gitignore` leaves out a `node_modules/` of 2 000 more files; the page cache is warm (one
 * untimed round first).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packWorkspace } from "../src/run/workspace/pack.ts";
import type { Benchmark, Section } from "./lib/report.ts";
import { type Contender, fmt, interleaved, ratios, spread, summarize, times } from "./lib/stats.ts";

function makeTree(root: string, files: number, env: Record<string, string>): void {
  for (let i = 0; i < files; i++) {
    const dir = join(root, `pkg-${i % 40}`, `src-${i % 13}`, `mod-${i % 5}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `file-${i}.ts`), `export const value${i} = ${i};\n`.repeat(i % 97));
  }
  for (let i = 0; i < files / 10; i++) {
    const dir = join(root, "node_modules", `dep-${i % 50}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `index-${i}.js`), "module.exports = 1;\n");
  }
  writeFileSync(join(root, ".gitignore"), "node_modules/\n*.log\n");
  Bun.spawnSync(["git", "init", "--quiet"], { cwd: root, env });
}

export default {
  name: "pack",
  title: "7. Packing a 20 000-file tree",
  async run({ small }): Promise<Section> {
    const files = small ? 200 : 20_000;
    const base = mkdtempSync(join(tmpdir(), "hm-bench-pack-"));
    const root = join(base, "tree");
    const output = join(base, "out.tar");
    // Its own output: the reused archive is a hard link, and `tar cf` would write through it.
    const reusedOutput = join(base, "reused.tar");
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: base, GIT_CONFIG_NOSYSTEM: "1" };
    const shell = async (script: string) => {
      const proc = Bun.spawn(["sh", "-c", script], { cwd: root, env, stdout: "ignore", stderr: "pipe" });
      const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
      if (code !== 0) throw new Error(`${script}: ${stderr}`);
    };
    const sizes = new Map<string, number>();
    const contender = (name: string, op: () => Promise<unknown>, out = output): Contender => ({
      name,
      perBatch: 1,
      op: async () => {
        await op();
        sizes.set(name, statSync(out).size);
      },
    });
    const contenders = [
      contender("hm packWorkspace (gitignore rules)", () =>
        packWorkspace({ root, pipelineDir: null, output, env }),
      ),
      contender(
        "hm packWorkspace, tree unchanged since its last pack (the last archive reused)",
        () =>
          packWorkspace({
            root,
            pipelineDir: null,
            output: reusedOutput,
            env,
            reuseDir: join(base, "reuse"),
          }),
        reusedOutput,
      ),
      contender("tar cf (everything but .git)", () => shell(`tar --exclude=.git -cf ${output} .`)),
      contender("tar czf (everything but .git)", () => shell(`tar --exclude=.git -czf ${output} .`)),
      contender("git ls-files | tar -T -", () =>
        shell(
          `git ls-files -z --others --cached --exclude-standard | tar --null --no-recursion -T - -cf ${output}`,
        ),
      ),
    ];
    try {
      makeTree(root, files, env);
      // A file changed less than 2 s before a pack is never reused (src/run/workspace/pack-reuse.ts).
      await Bun.sleep(2_100);
      const runs = small ? 1 : 7;
      const samples = await interleaved(contenders, runs);
      const hm = samples[0] as number[];
      const tarCf = samples[2] as number[];
      const reusedVsTar = ratios(samples[1] as number[], tarCf).median;
      const hmVsTar = ratios(hm, tarCf).median;
      return {
        tables: [
          {
            caption: `${files.toLocaleString("en-US")} files (+${(files / 10).toLocaleString("en-US")} ignored in node_modules/); wall ms, median (min–max) of ${runs} interleaved runs.`,
            columns: ["packer", "ms", "÷ hm", "output MB"],
            rows: contenders.map((c, i) => [
              c.name,
              spread(summarize(samples[i] as number[]), 1 / 1000),
              i === 0 ? "1×" : times(ratios(samples[i] as number[], hm)),
              fmt((sizes.get(c.name) ?? 0) / 1e6),
            ]),
          },
        ],
        targets: [
          {
            target: "packing no slower than `tar cf`",
            measured: `hm ÷ tar cf ${fmt(hmVsTar)}×`,
            met: hmVsTar <= 1,
          },
          {
            target: "packing no slower than `tar cf`, tree unchanged since the last pack",
            measured: `hm (reuse) ÷ tar cf ${fmt(reusedVsTar)}×`,
            met: reusedVsTar <= 1,
          },
        ],
        notes: [
          hmVsTar <= 1
            ? "Target met: hm packs no slower than `tar cf`, while also applying gitignore rules."
            : "Target missed: hm walks the tree in JS with synchronous calls (readdir, then open, fstat, read and close per file) and builds each tar header in JS, a few µs per file more than GNU tar's C loop; it also reads every `.gitignore` and matches each path against the rules. The gap is spread over the per-file calls, not one of them: a CPU profile (`bun --cpu-prof`) puts under 3 % in the ignore rules, and opening each file relative to its directory's descriptor (`openat` through bun:ffi) instead of by absolute path saved only 8–10 ms of the 20 000 opens in a side test. `git ls-files | tar -T -` shows what a native walk with ignore rules costs. Closing it for a cold pack: hand tar (or a small C packer through bun:ffi) the list of paths hm's walk selects, so the per-file work is native. A pack after the first is the next row's.",
          "With the last archive kept (what `hm run` does), an unchanged tree costs hm a walk with `lstat` per entry and a hard link; a changed file is read, the others copied from the last archive.",
          "`tar cf` and `tar czf` pack everything (node_modules/ too) with no ignore rules; hm and the git pipeline leave the ignored files out, as `hm run` must.",
        ],
      };
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
