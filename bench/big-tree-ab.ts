/**
 * Two hm builds on big trees of the same size, interleaved: the warm root step (and, with `--change`, a
 * run after a one-file change) of build A then build B, round after round, so that their
 * ratio is taken under the same load. For before/after figures of a change to the warm path
 * (bench/RESULTS.md, section 9).
 * `bun bench/big-tree-ab.ts --a "bun <old checkout>/src/main.ts" [--b "bun src/main.ts"]
 * [--files N] [--rounds N] [--steps N] [--change]`; `--steps`: a builds_in chain of N steps
 * (`ls src | wc -l`, then `echo i`) instead of the one root step.
 *
 * Each build has its own HOME, state and temp directories and its own tree (the same
 * generator, another seed: as many files and bytes, another project), so that neither
 * finds, evicts or builds on the other's workspace images. A round: A warm, B warm (and with
 * `--change`: one file of each tree edited, A, B). The image the benchmark imports, and
 * everything descending from it or naming its projects, is removed at the end.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectIdentity } from "../src/pipeline/project-identity.ts";
import { dockerMissing, importBusyboxImage } from "./lib/bench-image.ts";
import { editOneFile, generateTree, gitEnv } from "./lib/big-tree-project.ts";
import { runOnce } from "./lib/commands.ts";
import { removeBenchLeftovers } from "./lib/engine-leftovers.ts";
import { REPO_ROOT } from "./lib/native.ts";
import { hmEnv } from "./lib/project.ts";
import { loadAverage } from "./lib/report.ts";
import { fmt, ratios, spread, summarize } from "./lib/stats.ts";

function parseArgs(argv: readonly string[]) {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const command = (text: string | undefined, fallback: string[]) =>
    text === undefined ? fallback : text.split(/\s+/).filter(Boolean);
  const a = value("--a");
  if (a === undefined) throw new Error('--a "<command starting the other hm>" is required');
  return {
    a: command(a, []),
    b: command(value("--b"), [process.execPath, join(REPO_ROOT, "src", "main.ts")]),
    files: Number(value("--files") ?? 50_000),
    rounds: Number(value("--rounds") ?? 5),
    steps: Number(value("--steps") ?? 1),
    change: argv.includes("--change"),
  };
}

const options = parseArgs(process.argv.slice(2));
const missing = dockerMissing();
if (missing !== null) throw new Error(`cannot run: ${missing}`);
const nonce = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const image = `hm-bench/big-tree:${nonce}`;
const scratch = mkdtempSync(join(tmpdir(), "hm-bench-ab-"));
const baseId = importBusyboxImage(image, { "dev.hm.bench": nonce });
const projectIds: string[] = [];
const loadBefore = await loadAverage();
try {
  const commands = [
    "ls src | wc -l",
    ...Array.from({ length: options.steps - 1 }, (_, i) => `echo ${i + 1}`),
  ];
  const pipeline = [
    `import { pipeline, sh } from "@harmont/hm";`,
    `const commands = ${JSON.stringify(commands)};`,
    `let step = sh(commands[0], { label: "step 0", image: ${JSON.stringify(image)} });`,
    `for (let i = 1; i < commands.length; i++) step = step.sh(commands[i], { label: \`step \${i}\` });`,
    `export default { slug: "root", pipeline: pipeline([step]) };`,
    "",
  ].join("\n");
  const roots = { A: join(scratch, "tree-A"), B: join(scratch, "tree-B") };
  for (const who of ["A", "B"] as const) {
    const git = gitEnv(join(scratch, "git"));
    const tree = generateTree(roots[who], `${nonce}-${who}`, options.files, { ".hm/root.ts": pipeline }, git);
    projectIds.push((await projectIdentity(roots[who])).id);
    console.error(`tree ${who}: ${tree.files} files, ${fmt(tree.bytes / 1e6)} MB`);
  }
  const builds = { A: options.a, B: options.b };
  const envs = { A: hmEnv(join(scratch, "A")), B: hmEnv(join(scratch, "B")) };
  const run = async (who: "A" | "B") => {
    const out = join(scratch, `events-${who}.jsonl`);
    const { ms } = await runOnce({
      name: `hm ${who}`,
      argv: [...builds[who], "run", "root", "--format", "json"],
      cwd: roots[who],
      env: envs[who],
      stdout: out,
    });
    const build = readFileSync(out, "utf8")
      .split("\n")
      .filter((l) => l.includes('"build_end"'))
      .map((l) => (JSON.parse(l) as { duration_ms: number }).duration_ms)[0];
    return { ms, buildMs: build ?? Number.NaN };
  };
  // Cold once each (the first makes the workspace image), then past the pack's 2 s margin.
  await run("A");
  await run("B");
  await Bun.sleep(2_100);
  await run("A");
  await run("B");
  const warm = { A: [] as number[], B: [] as number[] };
  const changed = { A: [] as number[], B: [] as number[] };
  let revision = 1;
  for (let r = 0; r < options.rounds; r++) {
    for (const who of ["A", "B"] as const) warm[who].push((await run(who)).ms);
    if (options.change)
      for (const who of ["A", "B"] as const) {
        editOneFile(roots[who], `${nonce}-${who}`, (revision * 7_919) % options.files, revision);
        changed[who].push((await run(who)).ms);
        // Warm again for the next round's warm runs (and past the margin).
        await run(who);
      }
    revision++;
    console.error(
      `round ${r + 1}: warm A ${fmt((warm.A.at(-1) ?? 0) / 1000)} s, B ${fmt((warm.B.at(-1) ?? 0) / 1000)} s` +
        (options.change
          ? `; changed A ${fmt((changed.A.at(-1) ?? 0) / 1000)} s, B ${fmt((changed.B.at(-1) ?? 0) / 1000)} s`
          : ""),
    );
  }
  const line = (what: string, a: number[], b: number[]) =>
    `| ${what} | ${spread(summarize(a), 1 / 1000)} | ${spread(summarize(b), 1 / 1000)} | ${(() => {
      const r = ratios(b, a);
      return `${fmt(r.median)}× (${fmt(r.min)}–${fmt(r.max)})`;
    })()} |`;
  console.log(`| ${options.files} files, wall s, median (min–max) of ${options.rounds} | A | B | B ÷ A |`);
  console.log("|---|---:|---:|---:|");
  const what = options.steps === 1 ? "one root step" : `${options.steps}-step chain`;
  console.log(line(`${what}, warm`, warm.A, warm.B));
  if (options.change) console.log(line(`${what}, after a one-file change`, changed.A, changed.B));
  console.log(
    `\nA: ${options.a.join(" ")}\nB: ${options.b.join(" ")}\nload average before / after: ${loadBefore} / ${await loadAverage()}`,
  );
} finally {
  const problems = removeBenchLeftovers(baseId, nonce, projectIds);
  if (problems.length > 0) console.error(`left on the engine: ${problems.join("; ")}`);
  rmSync(scratch, { recursive: true, force: true });
}
