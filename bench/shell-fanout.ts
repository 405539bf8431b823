/**
 * The shell runner's fan-out (issue 17): four checks forked off an install step, as builds_in
 * siblings, against the same commands run by hand in one directory. The install unpacks a
 * node_modules (hm's own, and a generated one of 10 000 files, ~140 MB); each check reads the
 * whole tree and does real work on it, and one appends to 200 of its files. hm runs them with
 * `--runner shell --parallelism 4`, once with siblings on copies (`HM_SHELL_SIBLINGS=copy`, what
 * the runner did before) and once on overlay mounts (the default where the probe succeeds); by
 * hand, the four run at once too. Rounds interleave the three; ratios are taken round by round.
 * Each hm run's debug output must say which way its siblings were made, or the benchmark fails.
 *
 * Run: `bun bench/shell-fanout.ts [--small] [--runs N]` (prints markdown tables). Not part of
 * `bun test`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOnce } from "./lib/commands.ts";
import type { Benchmark, BenchOptions, Section, Table, TargetCheck } from "./lib/report.ts";
import { markdownTable } from "./lib/report.ts";
import { fmt, ratios, spread, summarize } from "./lib/stats.ts";

const REPO = join(import.meta.dir, "..");
const TARGET_RATIO = 1.3;

/** The four checks: each reads the whole tree; the last also changes files in it (copy-up). */
const CHECKS: readonly { readonly key: string; readonly cmd: string }[] = [
  { key: "pack", cmd: "tar --exclude=package.json -cf - node_modules | gzip -1 | wc -c > pack.size" },
  { key: "hash", cmd: "find node_modules -type f -name '*.js' -exec cat {} + | sha256sum > js.sha" },
  { key: "grep", cmd: "grep -r -c require node_modules > requires.txt" },
  {
    key: "patch",
    cmd:
      "find node_modules -name package.json | head -200 | while read -r f; do echo ' ' >> \"$f\"; done && " +
      "find node_modules -name package.json -exec cat {} + | wc -l > packages.txt",
  },
];

/** A small deterministic generator (xorshift32), so the tree is the same on every run. */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/**
 * A node_modules-like tree: `files` files in packages of 25 (package.json, index.js, lib/*.js),
 * JS-looking text with varying identifiers (so gzip and grep have real work), sizes averaging
 * `meanBytes`.
 */
export function writeTree(root: string, files: number, meanBytes: number): void {
  const next = generator(17);
  for (let i = 0; i < files; i++) {
    const pkg = join(root, "node_modules", `pkg-${Math.floor(i / 25)}`);
    const n = i % 25;
    if (n === 0) {
      mkdirSync(join(pkg, "lib"), { recursive: true });
      writeFileSync(join(pkg, "package.json"), `{"name":"pkg-${Math.floor(i / 25)}","version":"1.0.${i}"}\n`);
      continue;
    }
    const size = Math.floor(meanBytes * (0.25 + (next() % 1000) / 666));
    const lines: string[] = [];
    let length = 0;
    while (length < size) {
      const line = `const v${next().toString(36)} = require("./m${next() % 97}").f${next() % 1013}(${next() % 100000});\n`;
      lines.push(line);
      length += line.length;
    }
    writeFileSync(join(pkg, n === 1 ? "index.js" : `lib/m${n}.js`), lines.join(""));
  }
}

function sh(cmd: string, cwd: string): void {
  const r = Bun.spawnSync(["sh", "-c", cmd], { cwd, stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd} exited ${r.exitCode}: ${r.stderr.toString()}`);
}

interface Tree {
  readonly name: string;
  /** A tar of `node_modules/`; the install step unpacks it. */
  readonly tar: string;
  readonly files: number;
  readonly megabytes: number;
}

function treeStats(dir: string): { files: number; megabytes: number } {
  const count = Bun.spawnSync(
    ["sh", "-c", "find node_modules -type f | wc -l; du -sm node_modules | cut -f1"],
    {
      cwd: dir,
    },
  );
  const [files, megabytes] = count.stdout.toString().trim().split("\n").map(Number);
  return { files: files ?? 0, megabytes: megabytes ?? 0 };
}

function makeTrees(base: string, small: boolean): Tree[] {
  const trees: Tree[] = [];
  const generated = join(base, "generated");
  writeTree(generated, small ? 200 : 10_000, small ? 2_000 : 14_000);
  sh(`tar -cf ${join(base, "generated.tar")} node_modules`, generated);
  trees.push({ name: "generated", tar: join(base, "generated.tar"), ...treeStats(generated) });
  rmSync(generated, { recursive: true, force: true });
  if (!small && existsSync(join(REPO, "node_modules"))) {
    sh(`tar -cf ${join(base, "hm.tar")} node_modules`, REPO);
    trees.push({ name: "hm's node_modules", tar: join(base, "hm.tar"), ...treeStats(REPO) });
  }
  return trees;
}

/** A project whose pipeline is the install and the four checks forked off it. */
function makeProject(dir: string, tree: Tree): void {
  mkdirSync(join(dir, ".hm"), { recursive: true });
  writeFileSync(join(dir, "README"), "fan-out benchmark\n");
  const steps = [{ key: "install", cmd: `tar -xf ${tree.tar}` }, ...CHECKS];
  writeFileSync(
    join(dir, ".hm", "ci.ir.json"),
    JSON.stringify({
      version: "0",
      graph: {
        nodes: steps.map((step) => ({ step, env: {} })),
        node_holes: [],
        edge_property: "directed",
        edges: CHECKS.map((_, i) => [0, i + 1, "builds_in"]),
      },
    }),
  );
}

/** The same commands by hand: unpack, then the four checks at once, all of them must pass. */
function byHandScript(tree: Tree): string {
  const starts = CHECKS.map((c, i) => `( ${c.cmd} ) & p${i}=$!`).join("\n");
  const waits = CHECKS.map((_, i) => `wait $p${i}`).join(" && ");
  return `set -e\ntar -xf ${tree.tar}\nset +e\n${starts}\n${waits}\n`;
}

type Mode = "copy" | "overlay";

/** One hm run: wall time, and the build's own (from its start to the verdict, as hm reports it). */
interface HmTimes {
  readonly ms: number;
  readonly buildMs: number;
}

/** Times one hm run and checks its debug lines say the siblings were made the `mode` way. */
async function timeHm(project: string, scratch: string, mode: Mode): Promise<HmTimes> {
  const state = join(scratch, "state");
  const tmp = join(scratch, "tmp");
  const log = join(scratch, "hm.out");
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    HM_STATE_DIR: state,
    TMPDIR: tmp,
    CI: "1",
  };
  if (mode === "copy") env.HM_SHELL_SIBLINGS = "copy";
  else delete env.HM_SHELL_SIBLINGS;
  const run = await runOnce({
    name: `hm (${mode})`,
    // Its debug lines go to stderr: into the log with stdout (sh execs hm, so nothing is added).
    argv: [
      "sh",
      "-c",
      'exec "$0" "$@" 2>&1',
      process.execPath,
      join(REPO, "src", "main.ts"),
      "run",
      "--runner",
      "shell",
      "--parallelism",
      "4",
      "-v",
      "--logs",
    ],
    cwd: project,
    env,
    stdout: log,
    before: () => {
      rmSync(state, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
    },
    check: (exitCode) => {
      if (exitCode !== 0)
        throw new Error(`hm (${mode}) exited ${exitCode}:\n${readFileSync(log, "utf8").slice(-3000)}`);
    },
  });
  const output = readFileSync(log, "utf8");
  const said = mode === "copy" ? "(a copy of '" : "(an overlay on '";
  const times = output.split(said).length - 1;
  if (times !== CHECKS.length)
    throw new Error(
      `hm (${mode}): ${times} of ${CHECKS.length} siblings said ${said}…; output:\n${output.slice(-3000)}`,
    );
  const build = output.match(/build: end exit=0 duration=(\d+)ms/);
  if (!build) throw new Error(`hm (${mode}): no build_end line in its output:\n${output.slice(-3000)}`);
  return { ms: run.ms, buildMs: Number(build[1]) };
}

/** By hand: the commands' wall time, and the removal of what they left (hm removes it too). */
async function timeByHand(tree: Tree, scratch: string): Promise<{ ms: number; removeMs: number }> {
  const dir = join(scratch, "by-hand");
  const run = await runOnce({
    name: "by hand",
    argv: ["sh", "-c", byHandScript(tree)],
    cwd: dir,
    before: () => {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    },
  });
  const started = performance.now();
  rmSync(dir, { recursive: true, force: true });
  return { ms: run.ms, removeMs: performance.now() - started };
}

export async function measure(options: BenchOptions & { runs?: number }): Promise<Section> {
  const runs = options.runs ?? (options.small ? 1 : 5);
  const base = mkdtempSync(join(tmpdir(), "hm-bench-fanout-"));
  const rows: string[][] = [];
  const targets: TargetCheck[] = [];
  try {
    for (const tree of makeTrees(base, options.small)) {
      const project = join(base, `project-${tree.name.replace(/[^a-z]/g, "")}`);
      makeProject(project, tree);
      const hand: number[] = [];
      const handRemoved: number[] = [];
      const copy: number[] = [];
      const overlay: number[] = [];
      const overlayBuild: number[] = [];
      await timeByHand(tree, base); // warms the file cache for all three
      for (let round = 0; round < runs; round++) {
        const byHand = await timeByHand(tree, base);
        hand.push(byHand.ms);
        handRemoved.push(byHand.ms + byHand.removeMs);
        copy.push((await timeHm(project, base, "copy")).ms);
        const onOverlays = await timeHm(project, base, "overlay");
        overlay.push(onOverlays.ms);
        overlayBuild.push(onOverlays.buildMs);
      }
      const seconds = (samples: number[]) => spread(summarize(samples), 1 / 1000);
      const overlayRatio = ratios(overlay, hand);
      const overlayRemovedRatio = ratios(overlay, handRemoved);
      const copyRemovedRatio = ratios(copy, handRemoved);
      rows.push([
        `${tree.name} (${tree.files.toLocaleString("en-US")} files, ${tree.megabytes} MB)`,
        seconds(hand),
        seconds(handRemoved),
        seconds(copy),
        seconds(overlay),
        seconds(overlayBuild),
        spread(overlayRatio),
        spread(overlayRemovedRatio),
        spread(copyRemovedRatio),
      ]);
      targets.push({
        target: `shell fan-out of four checks off an install, ${tree.name}: ≤ ${TARGET_RATIO}× the commands by hand`,
        measured:
          `${fmt(overlayRatio.median)}× the commands, ${fmt(overlayRemovedRatio.median)}× the commands and removing what they left ` +
          `(copies: ${fmt(copyRemovedRatio.median)}×)`,
        met: overlayRatio.median <= TARGET_RATIO,
      });
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  const table: Table = {
    caption: `Install, then four checks at once (${runs} interleaved rounds; seconds)`,
    columns: [
      "tree",
      "by hand",
      "by hand, then rm -r",
      "hm, siblings copy",
      "hm, siblings on overlays",
      "of which until the verdict",
      "overlays ÷ by hand",
      "overlays ÷ (by hand, then rm -r)",
      "copies ÷ (by hand, then rm -r)",
    ],
    rows,
  };
  return {
    tables: [table],
    targets,
    notes: [
      `Checks: ${CHECKS.map((c) => `\`${c.key}\``).join(", ")}, each over the whole tree; \`patch\` appends to 200 package.json files. ` +
        "By hand: the install, then the four at once in one directory; `rm -r` of that directory is timed apart. " +
        "hm: `--runner shell --parallelism 4`, wall time of the whole command (its start, packing, and the removal of every step directory included); " +
        '"until the verdict" is the build\'s own duration as hm reports it (`build: end`), without start-up and removal.',
    ],
  };
}

const benchmark: Benchmark = {
  name: "shell-fanout",
  title: "10. Shell runner: four checks forked off an install",
  run: (options) => measure(options),
};
export default benchmark;

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const runsAt = argv.indexOf("--runs");
  const section = await measure({
    small: argv.includes("--small"),
    runs: runsAt >= 0 ? Number(argv[runsAt + 1]) : undefined,
  });
  for (const table of section.tables) console.log(`${markdownTable(table)}\n`);
  for (const t of section.targets ?? [])
    console.log(`- ${t.met ? "met" : "missed"}: ${t.target}: ${t.measured}`);
  for (const note of section.notes) console.log(`\n${note}`);
}
