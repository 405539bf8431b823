/**
 * Benchmark 9: big trees and long chains on the Docker runner (issue 17), against running the
 * same commands the way act does (one container, the tree copied in once, one exec per step).
 * `bun bench/big-tree.ts [--files N] [--only chain,root,act,tiny] [--big-runs N] [--tiny-runs N]
 * [--chain-steps N] [--tiny-steps N] [--budget-min M] [--hm "CMD ..."] [--small] [--out FILE]`; also `bun run bench big-tree` once
 * bench/lib/registry.ts lists it.
 *
 * It drives hm only through its CLI (`hm run --format json`), so it measures whatever the
 * runner does inside. Everything runs on the real engine with an image the benchmark imports
 * itself under a unique tag; at the end it removes that image, what descends from it, and what
 * names its projects, and nothing else.
 *
 * - chain: a generated project of N tracked files (default 50 000, ~200 MB), a 5-step builds_in
 *   chain (`ls src | wc -l`, then `echo i`): `hm run` cold (a new tree: new root commit, so a new
 *   project, and new file content, so nothing keyed by content either), warm (tree unchanged
 *   since that run), and after a one-file change (one tracked file edited, not committed).
 * - root: one root step (`ls src | wc -l`) on another new tree, cold then warm.
 * - act: the act-like yardstick (bench/lib/act-like.ts, dockerode) on the chain's tree, before
 *   hm touches it: container create+start, copy, the five execs, remove, timed apart.
 * - tiny: a 10-step chain on a 10-file tree, hm against the act-like yardstick with 10 execs,
 *   run in rounds after a warm-up round.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectIdentity } from "../src/pipeline/project-identity.ts";
import { dockerMissing, importBusyboxImage } from "./lib/bench-image.ts";
import { editOneFile, generateTree, gitEnv } from "./lib/big-tree-project.ts";
import { type Command, runOnce, timeCommands } from "./lib/commands.ts";
import { removeBenchLeftovers } from "./lib/engine-leftovers.ts";
import { REPO_ROOT } from "./lib/native.ts";
import { hmEnv } from "./lib/project.ts";
import {
  type Benchmark,
  loadAverage,
  machine,
  markdownTable,
  type Section,
  sectionMarkdown,
  type Table,
  type TargetCheck,
} from "./lib/report.ts";
import { fmt, ratios, spread, summarize, times } from "./lib/stats.ts";

const PARTS = ["chain", "root", "act", "tiny"] as const;
type Part = (typeof PARTS)[number];

export interface BigTreeOptions {
  readonly files: number;
  readonly bigRuns: number;
  readonly tinyRuns: number;
  /** Steps of the big tree's chain (the 5) and of the tiny chain (its 10). */
  readonly chainSteps: number;
  readonly tinySteps: number;
  readonly parts: ReadonlySet<Part>;
  /** Repetitions of the big tree stop once another would end past this many minutes. */
  readonly budgetMin: number;
  /** How to start hm (default: from source with this Bun). */
  readonly hm: readonly string[];
}

const TINY_FILES = 10;
const COUNT_CMD = "ls src | wc -l";

/** The commands of an n-step chain: count the tree, then `echo i` in each child. */
function chainCommands(n: number): string[] {
  return [COUNT_CMD, ...Array.from({ length: n - 1 }, (_, i) => `echo ${i + 1}`)];
}

/** A pipeline file (`@harmont/hm`) of one builds_in chain of `commands` in `image`. */
function chainPipeline(slug: string, image: string, commands: readonly string[]): string {
  return [
    `import { pipeline, sh } from "@harmont/hm";`,
    `const commands = ${JSON.stringify(commands)};`,
    `let step = sh(commands[0], { label: "step 0", image: ${JSON.stringify(image)} });`,
    `for (let i = 1; i < commands.length; i++) step = step.sh(commands[i], { label: \`step \${i}\` });`,
    `export default { slug: ${JSON.stringify(slug)}, pipeline: pipeline([step]) };`,
    "",
  ].join("\n");
}

/** What `ls src | wc -l` prints in a generated tree: its `pkg-*` folders. */
function expectedCount(files: number): string {
  return String(Math.min(files, 50));
}

interface HmRun {
  readonly ms: number;
  /** step_end duration_ms per step, in the order the steps ended. */
  readonly stepMs: number[];
  /** build_end's duration_ms: the wall time less hm's start-up, pipeline load and final sweep. */
  readonly buildMs: number;
}

/** The events of a `--format json` run: step durations, and the count step's output checked. */
function readEvents(file: string, expected: string, steps: number): Omit<HmRun, "ms"> {
  const stepMs: number[] = [];
  let buildMs = Number.NaN;
  const logs: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    const event = JSON.parse(line) as {
      kind?: string;
      duration_ms?: number;
      line?: string;
      exit_code?: number;
    };
    if (event.kind === "step_end" && typeof event.duration_ms === "number") stepMs.push(event.duration_ms);
    if (event.kind === "step_log" && typeof event.line === "string") logs.push(event.line.trim());
    if (event.kind === "build_end" && typeof event.duration_ms === "number") buildMs = event.duration_ms;
  }
  if (stepMs.length !== steps)
    throw new Error(`expected ${steps} step_end events in ${file}, got ${stepMs.length}`);
  if (!logs.includes(expected))
    throw new Error(
      `no step printed '${expected}' (the tree's src/ entries) in ${file}: ${logs.join(" | ")}`,
    );
  return { stepMs, buildMs };
}

const median = (values: readonly number[]) => summarize(values).median;
const seconds = (ms: readonly number[]) => spread(summarize(ms), 1 / 1000);

export async function measureBigTree(options: BigTreeOptions): Promise<Section> {
  const { chainSteps, tinySteps } = options;
  const missing = dockerMissing();
  if (missing !== null) return { tables: [], notes: [`Skipped: ${missing}.`] };
  const started = performance.now();
  const nonce = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const image = `hm-bench/big-tree:${nonce}`;
  const scratch = mkdtempSync(join(tmpdir(), "hm-bench-big-tree-"));
  const env = hmEnv(join(scratch, "hm"));
  const git = gitEnv(join(scratch, "hm", "home"));
  const projectIds: string[] = [];
  const has = (part: Part) => options.parts.has(part);
  const baseId = importBusyboxImage(image, { "dev.hm.bench": nonce });
  const log = (text: string) =>
    console.error(`  [big-tree ${((performance.now() - started) / 1000).toFixed(0)}s] ${text}`);

  const newProject = async (name: string, files: number, pipelines: Record<string, string>) => {
    const root = join(scratch, name);
    const tree = generateTree(root, `${nonce}-${name}`, files, pipelines, git);
    projectIds.push((await projectIdentity(root)).id);
    return tree;
  };
  const hmRun = async (root: string, slug: string, steps: number, files: number): Promise<HmRun> => {
    const out = join(scratch, `events-${slug}.jsonl`);
    const { ms } = await runOnce({
      name: `hm run ${slug}`,
      argv: [...options.hm, "run", slug, "--format", "json"],
      cwd: root,
      env,
      stdout: out,
    });
    return { ms, ...readEvents(out, expectedCount(files), steps) };
  };
  const actCommand = (root: string, commands: readonly string[]): Command => ({
    name: "act-like",
    argv: [process.execPath, join(import.meta.dir, "lib", "act-like.ts"), image, root, nonce, ...commands],
    stdout: join(scratch, "act.json"),
  });
  const actPhases = (files: number) => {
    const phases = JSON.parse(readFileSync(join(scratch, "act.json"), "utf8")) as {
      createMs: number;
      copyMs: number;
      execMs: number[];
      removeMs: number;
      outputs: string[];
    };
    if (phases.outputs[0] !== expectedCount(files))
      throw new Error(`act-like: '${COUNT_CMD}' printed '${phases.outputs[0]}', not ${expectedCount(files)}`);
    return phases;
  };

  const tables: Table[] = [];
  const targets: TargetCheck[] = [];
  const notes: string[] = [];
  let problems: string[] = [];
  try {
    // 3. The tiny chain first: it is bounded, and the big tree's repetitions fill the budget left.
    if (has("tiny")) {
      log(`tiny chain: ${tinySteps} steps, ${TINY_FILES} files, ${options.tinyRuns} rounds`);
      const commands = chainCommands(tinySteps);
      const tiny = await newProject("tiny", TINY_FILES, {
        ".hm/tiny.ts": chainPipeline("tiny", image, commands),
      });
      const actRuns: ReturnType<typeof actPhases>[] = [];
      const act = actCommand(tiny.root, commands);
      const [hmSamples, actSamples] = await timeCommands(
        [
          {
            name: "hm run tiny",
            argv: [...options.hm, "run", "tiny", "--format", "json"],
            cwd: tiny.root,
            env,
            stdout: join(scratch, "events-tiny.jsonl"),
            check: (code) => {
              if (code !== 0) throw new Error(`hm run tiny exited ${code}`);
              readEvents(join(scratch, "events-tiny.jsonl"), expectedCount(TINY_FILES), tinySteps);
            },
          },
          {
            ...act,
            check: (code) => {
              if (code !== 0) throw new Error(`act-like exited ${code}`);
              actRuns.push(actPhases(TINY_FILES));
            },
          },
        ],
        options.tinyRuns,
      );
      if (hmSamples === undefined || actSamples === undefined) throw new Error("tiny: no samples");
      const ratio = ratios(hmSamples.ms, actSamples.ms);
      log(`tiny chain: hm ${seconds(hmSamples.ms)} s, act-like ${seconds(actSamples.ms)} s`);
      const timed = actRuns.slice(1); // the first is the warm-up round
      tables.push({
        caption: `3. A ${tinySteps}-step builds_in chain on a ${TINY_FILES}-file tree; wall s, median (min–max) of ${options.tinyRuns} round${options.tinyRuns === 1 ? "" : "s"} after a warm-up round (the tree unchanged between runs).`,
        columns: ["how", "wall s", "÷ act-like"],
        rows: [
          [`hm run (${tinySteps} steps)`, seconds(hmSamples.ms), times(ratio)],
          [`act-like: 1 container, ${tinySteps} execs (whole process)`, seconds(actSamples.ms), "1×"],
          ["  of which create + start", seconds(timed.map((p) => p.createMs)), ""],
          ["  of which copy", seconds(timed.map((p) => p.copyMs)), ""],
          [
            `  of which ${tinySteps} execs`,
            seconds(timed.map((p) => p.execMs.reduce((a, b) => a + b, 0))),
            "",
          ],
          ["  of which remove", seconds(timed.map((p) => p.removeMs)), ""],
        ],
      });
      targets.push({
        target: `${tinySteps}-step chain on a tiny tree ≤ 1.2× one container with ${tinySteps} docker exec`,
        measured: `${fmt(ratio.median)}× (${fmt(ratio.min)}–${fmt(ratio.max)})`,
        met: ratio.median <= 1.2,
      });
    }

    // 1 and 2. The big tree, repetition by repetition, each on trees nothing has seen.
    const chainCmds = chainCommands(chainSteps);
    const runs = {
      cold: [] as HmRun[],
      warm: [] as HmRun[],
      changed: [] as HmRun[],
      rootCold: [] as HmRun[],
      rootWarm: [] as HmRun[],
      act: [] as { ms: number; phases: ReturnType<typeof actPhases> }[],
      setupMs: [] as number[],
    };
    let done = 0;
    const wantsBig = has("chain") || has("root") || has("act");
    for (let r = 0; wantsBig && r < options.bigRuns; r++) {
      const repStarted = performance.now();
      // Each figure is logged as it comes, so a run stopped half-way still tells something.
      const record = async (list: HmRun[], what: string, root: string, slug: string, steps: number) => {
        log(`run ${r + 1}: ${what}`);
        const run = await hmRun(root, slug, steps, options.files);
        list.push(run);
        log(
          `run ${r + 1}: ${what}: ${fmt(run.ms / 1000)} s (build ${fmt(run.buildMs / 1000)} s; steps ${run.stepMs.map((ms) => fmt(ms / 1000)).join(", ")})`,
        );
      };
      if (has("root")) {
        const setup = performance.now();
        const tree = await newProject(`root-${r}`, options.files, {
          ".hm/root.ts": chainPipeline("root", image, [COUNT_CMD]),
        });
        runs.setupMs.push(performance.now() - setup);
        log(`run ${r + 1}: a new tree of ${tree.files} files, ${fmt(tree.bytes / 1e6)} MB`);
        await record(runs.rootCold, "root step cold", tree.root, "root", 1);
        await record(runs.rootWarm, "root step warm", tree.root, "root", 1);
        rmSync(tree.root, { recursive: true, force: true });
      }
      if (has("chain") || has("act")) {
        const setup = performance.now();
        const tree = await newProject(`chain-${r}`, options.files, {
          ".hm/chain.ts": chainPipeline("chain", image, chainCmds),
        });
        runs.setupMs.push(performance.now() - setup);
        if (has("act")) {
          log(`run ${r + 1}: act-like (${tree.files} files, ${fmt(tree.bytes / 1e6)} MB)`);
          const { ms } = await runOnce(actCommand(tree.root, chainCmds));
          const phases = actPhases(options.files);
          runs.act.push({ ms, phases });
          log(
            `run ${r + 1}: act-like: ${fmt(ms / 1000)} s (copy ${fmt(phases.copyMs / 1000)} s, execs ${phases.execMs.map((e) => fmt(e / 1000)).join(", ")})`,
          );
        }
        if (has("chain")) {
          await record(runs.cold, "chain cold", tree.root, "chain", chainSteps);
          await record(runs.warm, "chain warm", tree.root, "chain", chainSteps);
          editOneFile(tree.root, `${nonce}-chain-${r}`, (r * 7_919) % options.files, r + 1);
          await record(runs.changed, "chain after a one-file change", tree.root, "chain", chainSteps);
        }
        rmSync(tree.root, { recursive: true, force: true });
      }
      done = r + 1;
      const elapsed = performance.now() - started;
      const repMs = performance.now() - repStarted;
      if (r + 1 < options.bigRuns && elapsed + repMs > options.budgetMin * 60_000) {
        notes.push(
          `The big tree ran ${done} of ${options.bigRuns} repetitions: one took ${fmt(repMs / 1000)} s, and another would have ended past the ${options.budgetMin}-minute budget (\`--budget-min\`).`,
        );
        break;
      }
    }

    if (wantsBig) {
      const perStep = (list: HmRun[]) => {
        // The per-step durations of the run whose wall time is the median.
        const sorted = [...list].sort((a, b) => a.ms - b.ms);
        const mid = sorted[(sorted.length - 1) >> 1];
        if (mid === undefined) return "";
        const steps = mid.stepMs.map((ms) => fmt(ms / 1000)).join(", ");
        return `build ${fmt(mid.buildMs / 1000)}; step${mid.stepMs.length === 1 ? "" : "s"} ${steps}`;
      };
      const rows: string[][] = [];
      const hmRow = (name: string, list: HmRun[]) => {
        if (list.length > 0) rows.push([name, seconds(list.map((x) => x.ms)), perStep(list)]);
      };
      hmRow(`hm run, ${chainSteps}-step chain, cold`, runs.cold);
      hmRow(`hm run, ${chainSteps}-step chain, warm`, runs.warm);
      hmRow(`hm run, ${chainSteps}-step chain, after a one-file change`, runs.changed);
      hmRow("hm run, one root step, cold", runs.rootCold);
      hmRow("hm run, one root step, warm", runs.rootWarm);
      if (runs.act.length > 0) {
        const phase = (f: (p: ReturnType<typeof actPhases>) => number) =>
          seconds(runs.act.map((a) => f(a.phases)));
        rows.push(
          [
            `act-like: 1 container, ${chainSteps} execs (whole process)`,
            seconds(runs.act.map((a) => a.ms)),
            "",
          ],
          ["  of which create + start", phase((p) => p.createMs), ""],
          ["  of which copy of the tree", phase((p) => p.copyMs), ""],
          [
            `  of which ${chainSteps} execs`,
            phase((p) => p.execMs.reduce((a, b) => a + b, 0)),
            `each: ${runs.act[0]?.phases.execMs.map((ms) => fmt(ms / 1000)).join(", ")} (first run)`,
          ],
          ["  of which remove", phase((p) => p.removeMs), ""],
        );
      }
      tables.unshift({
        caption: `1–2. A ${options.files.toLocaleString("en-US")}-file tree; wall s, median (min–max) of ${done} run${done === 1 ? "" : "s"}, each on new trees; detail: of the run with the median wall time, build_end's duration (the wall time less hm's start-up, pipeline load and final sweep) and each step_end's, in s.`,
        columns: ["what", "wall s", "detail"],
        rows,
      });

      const execSum = runs.act.map((a) => a.phases.execMs.reduce((x, y) => x + y, 0));
      if (runs.cold.length > 0 && runs.act.length > 0) {
        const r = ratios(
          runs.cold.map((x) => x.ms),
          runs.act.map((a) => a.ms),
        );
        targets.push({
          target: `${chainSteps}-step chain on ${options.files.toLocaleString("en-US")} files, cold ≤ 1.5× act's one-container sequence`,
          measured: `${fmt(r.median)}× (${fmt(r.min)}–${fmt(r.max)})`,
          met: r.median <= 1.5,
        });
        // Removing a container whose layer holds the whole tree can take longer than the copy
        // on a busy overlay2; act pays it too, but the ratio should not hide behind it.
        const untilRemove = ratios(
          runs.cold.map((x) => x.ms),
          runs.act.map((a) => a.ms - a.phases.removeMs),
        );
        notes.push(
          `Cold chain ÷ act-like without its final container removal: ${times(untilRemove)} (the removal alone: ${seconds(runs.act.map((a) => a.phases.removeMs))} s).`,
        );
      }
      if (runs.warm.length > 0 && runs.act.length > 0) {
        const beyond = runs.warm.map((w, i) => w.ms - (execSum[i] ?? median(execSum)));
        targets.push({
          target: `${chainSteps}-step chain, warm, ≤ 3 s beyond the commands' own time (act-like's ${chainSteps} execs)`,
          measured: `${fmt(median(beyond) / 1000)} s beyond (${fmt(median(runs.warm.map((w) => w.ms)) / 1000)} s − ${fmt(median(execSum) / 1000)} s)`,
          met: median(beyond) <= 3_000,
        });
      }
      if (runs.rootWarm.length > 0) {
        const warm = median(runs.rootWarm.map((x) => x.ms));
        targets.push({
          target: `one root step on ${options.files.toLocaleString("en-US")} files, warm, < 2 s`,
          measured: `${fmt(warm / 1000)} s`,
          met: warm < 2_000,
        });
      }
      if (runs.changed.length > 0 && runs.warm.length > 0) {
        const r = ratios(
          runs.changed.map((x) => x.ms),
          runs.warm.map((x) => x.ms),
        );
        targets.push({
          target: "one-file change reruns in about the warm time (taken as ≤ 1.25× warm)",
          measured: `${fmt(r.median)}× warm (${fmt(r.min)}–${fmt(r.max)})`,
          met: r.median <= 1.25,
        });
      }
      if (runs.setupMs.length > 0)
        notes.push(
          `Generating and committing each tree (not timed in the figures): ${seconds(runs.setupMs)} s. hm ran as \`${options.hm.map((a) => a.replace(REPO_ROOT, ".")).join(" ")} run <pipeline> --format json\`, with its own HOME, state and temp directories (kept across the runs, as a user's are).`,
        );
    }
    notes.push(
      "The act-like yardstick (bench/lib/act-like.ts) uses dockerode, the engine API, as act does (not the docker CLI): one container of the same image kept alive by `sleep`, the tracked files (`git ls-files`, `.hm/` left out as hm leaves it out) streamed as a tar into putArchive at /workspace, one exec per command in /workspace, then the container removed; its whole-process time includes Bun's start and loading dockerode, as hm's includes its own start. \"The commands' own time\" in the warm target is its exec time.",
      `Cold means a tree nothing has seen: a new repository (new root commit, so a new project id) whose every file has new content, so no image, layer or cache keyed by project or by content can serve it. The base image (\`hm-bench/big-tree:<nonce>\`) is imported by the benchmark and, with every image descending from it or naming its projects, removed at the end.`,
    );
  } finally {
    problems = removeBenchLeftovers(baseId, nonce, projectIds);
    rmSync(scratch, { recursive: true, force: true });
  }
  if (problems.length > 0) notes.push(`Left on the engine (could not be removed): ${problems.join("; ")}.`);
  return { tables, targets, notes };
}

const DEFAULTS: BigTreeOptions = {
  files: 50_000,
  bigRuns: 3,
  tinyRuns: 10,
  chainSteps: 5,
  tinySteps: 10,
  parts: new Set(PARTS),
  budgetMin: 10,
  hm: [process.execPath, join(REPO_ROOT, "src", "main.ts")],
};

/** For the smoke test (test/bench): every path once, in about a minute; the figures mean nothing. */
const SMALL: Partial<BigTreeOptions> = { files: 200, bigRuns: 1, tinyRuns: 1, chainSteps: 2, tinySteps: 2 };

export const bigTree = {
  name: "big-tree",
  title: "9. Big trees and long chains on Docker",
  run: ({ small }) => measureBigTree({ ...DEFAULTS, ...(small ? SMALL : {}) }),
} satisfies Benchmark;
export default bigTree;

function parseArgs(argv: readonly string[]): { options: BigTreeOptions; out: string } {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const count = (flag: string, fallback: number): number => {
    const text = value(flag);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a whole number ≥ 1, not '${text}'`);
    return n;
  };
  const base = { ...DEFAULTS, ...(argv.includes("--small") ? SMALL : {}) };
  const only = argv.flatMap((a, i) => (argv[i - 1] === "--only" ? a.split(",") : []));
  for (const name of only)
    if (!(PARTS as readonly string[]).includes(name))
      throw new Error(`--only takes ${PARTS.join(", ")} (comma-separated or repeated), not '${name}'`);
  const hm = value("--hm");
  return {
    options: {
      files: count("--files", base.files),
      bigRuns: count("--big-runs", base.bigRuns),
      tinyRuns: count("--tiny-runs", base.tinyRuns),
      chainSteps: count("--chain-steps", base.chainSteps),
      tinySteps: count("--tiny-steps", base.tinySteps),
      budgetMin: count("--budget-min", base.budgetMin),
      parts: only.length > 0 ? new Set(only as Part[]) : base.parts,
      hm: hm === undefined ? base.hm : hm.split(/\s+/).filter(Boolean),
    },
    out: value("--out") ?? join(import.meta.dir, "results", "big-tree.md"),
  };
}

if (import.meta.main) {
  const { options, out } = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const loadBefore = await loadAverage();
  const section = await measureBigTree(options);
  const m = machine();
  const header = markdownTable({
    columns: ["", ""],
    rows: [
      ["machine", `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}`],
      ["date", m.date],
      ["load average before / after", `${loadBefore} / ${await loadAverage()}`],
      ["run time", `${((performance.now() - started) / 60_000).toFixed(1)} min`],
    ],
  });
  const targetTable =
    (section.targets ?? []).length === 0
      ? ""
      : `\n\n${markdownTable({
          columns: ["target", "measured", "met"],
          rows: (section.targets ?? []).map((t) => [t.target, t.measured, t.met ? "yes" : "**no**"]),
        })}`;
  const markdown = `${sectionMarkdown(bigTree, section)}${targetTable}\n\n${header}\n`;
  mkdirSync(join(out, ".."), { recursive: true });
  writeFileSync(out, markdown);
  console.log(markdown);
  console.error(`wrote ${out}`);
}
