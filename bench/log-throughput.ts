/**
 * Benchmark 8: log throughput. One step printing N lines (`seq N`), through the `shell` runner
 * and the `docker` runner, to the JSON renderer (`--format json`, stdout to /dev/null) and to
 * the plain renderer (`--logs`, stdout to a file), without a hook, with a hook plugin subscribed to
 * `step_log` (protocol 2: one call per line) and with one subscribed to `step_logs` (protocol 3:
 * the lines waiting for the hook in one call); both phase after, doing nothing. Lines per second
 * and hm's peak RSS. The `step_log` runs print a tenth as many lines (the rate is what matters).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerReady, ensureTestImage, TEST_IMAGE } from "../test/helpers/docker.ts";
import { compileHookPlugin } from "../test/helpers/native.ts";
import { type Command, timeCommands } from "./lib/commands.ts";
import { REPO_ROOT } from "./lib/native.ts";
import { hmEnv, writeProject } from "./lib/project.ts";
import type { Benchmark, Section } from "./lib/report.ts";
import { fmt, type Summary, spread, summarize } from "./lib/stats.ts";
import { removeWorkspaceImages } from "./lib/workspace-images.ts";

export default {
  name: "log-throughput",
  title: "8. Log throughput",
  async run({ small }): Promise<Section> {
    const lines = small ? 2_000 : 1_000_000;
    const hookLines = lines / 10;
    const runs = small ? 1 : 2;
    const scratch = mkdtempSync(join(tmpdir(), "hm-bench-logs-"));
    const hookDirs = { step_log: join(scratch, "hook-step-log"), step_logs: join(scratch, "hook-step-logs") };
    for (const [kind, dir] of Object.entries(hookDirs))
      compileHookPlugin(dir, `bench-${kind.replace("_", "-")}-hook`, {
        kinds: [kind === "step_log" ? "HM_HOOK_STEP_LOG" : "HM_HOOK_STEP_LOGS"],
        phase: "after",
        timeoutMs: 10_000,
        body: "return 1;",
      });
    const noHooks = join(scratch, "no-plugins");
    mkdirSync(noHooks);
    const runners = dockerReady ? ["shell", "docker"] : ["shell"];
    if (dockerReady) ensureTestImage();
    const project = (count: number) =>
      writeProject(join(scratch, `project-${count}`), [
        { key: "print", cmd: `seq ${count}`, ...(dockerReady ? { image: TEST_IMAGE } : {}) },
      ]);
    const roots = { plain: project(lines), hooked: project(hookLines) };
    const commands: (Command & { lines: number })[] = [];
    for (const runner of runners) {
      for (const renderer of ["json", "plain"] as const) {
        for (const hook of [null, "step_log", "step_logs"] as const) {
          const base = join(scratch, `run-${runner}-${renderer}-${hook}`);
          const slow = hook === "step_log";
          commands.push({
            name: `${runner} → ${renderer === "json" ? "JSON" : "plain"}${hook === null ? "" : ` + ${hook} hook`}`,
            argv: [
              process.execPath,
              join(REPO_ROOT, "src", "main.ts"),
              "run",
              "--runner",
              runner,
              ...(renderer === "json" ? ["--format", "json"] : ["--logs"]),
            ],
            cwd: slow ? roots.hooked : roots.plain,
            // The plain lines are hm's stdout: into a file, as `hm run > ci.log` writes them.
            ...(renderer === "plain" ? { stdout: `${base}.log` } : {}),
            lines: slow ? hookLines : lines,
            before: () => rmSync(base, { recursive: true, force: true }),
            get env() {
              return hmEnv(base, { HM_PLUGIN_PATH: hook === null ? noHooks : hookDirs[hook] });
            },
          });
        }
      }
    }
    try {
      const samples = await timeCommands(commands, runs, { warmUp: false });
      const rates = samples.map((s, i) =>
        summarize(s.ms.map((ms) => (commands[i]?.lines ?? 0) / (ms / 1000))),
      );
      const rss = samples.map((s) => summarize(s.rssMiB));
      /** The hooked target is met with the step_logs hook (protocol 3); step_log rows show protocol 2. */
      const target = (hooked: boolean) => {
        const picked = commands.flatMap((c, i) =>
          (hooked ? c.name.endsWith("step_logs hook") : !c.name.includes("hook")) ? [i] : [],
        );
        const slowest = Math.min(...picked.map((i) => (rates[i] as Summary).median));
        const peak = Math.max(...picked.map((i) => (rss[i] as Summary).max));
        return {
          target: `≥ 300 000 log lines/s with bounded memory (${hooked ? "with a step_logs hook" : "no hook"})`,
          measured: `slowest path ${fmt(slowest)} lines/s; peak RSS at most ${fmt(peak)} MiB`,
          met: slowest >= 300_000,
        };
      };
      return {
        tables: [
          {
            caption: `One step running \`seq N\`; whole \`hm run\` from source, start-up included; median (min–max) of ${runs} runs in rounds, no warm-up run.`,
            columns: ["path", "lines", "wall s", "lines/s", "peak RSS MiB"],
            rows: commands.map((c, i) => [
              c.name,
              c.lines.toLocaleString("en-US"),
              spread(summarize(samples[i]?.ms ?? []), 1 / 1000),
              spread(rates[i] as ReturnType<typeof summarize>),
              spread(rss[i] as ReturnType<typeof summarize>),
            ]),
          },
        ],
        targets: [target(false), target(true)],
        notes: [
          "Shell-runner lines cross from the plugin's worker in batches of up to 512 lines per message; docker-runner lines are split on the main thread from dockerode's stream (which is why that path peaks higher). Memory is bounded by design: the event bus queues per consumer and spills to a temp file past its bound; the hooked rows print a tenth of the lines and peak about as high as the unhooked ones, so RSS does not follow the line count.",
          "A `step_log` hook (protocol 2) gets one event per call (docs/design.md, Hooks), so each line costs a plugin call on the hook's worker (encode the HookEvent, the channel round trip, decode the HookOutcome), about 12–17 µs: that path stays far below the target, and is kept for plugins built before protocol 3. A `step_logs` hook (protocol 3) gets the step_log events waiting in its queue in one call (up to 4096): while one call runs, the next batch gathers, so the hook's cost per line falls as lines come faster, and the target is measured on it.",
        ],
      };
    } finally {
      // The docker runs made each project a workspace image (the step's image plus the tree).
      if (dockerReady) for (const root of Object.values(roots)) await removeWorkspaceImages(root);
      rmSync(scratch, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
