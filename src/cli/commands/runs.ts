import { findProject } from "../../pipeline/project.ts";
import { savedRuns } from "../../run/history/catalog.ts";
import { projectHistoryDir, shortRunId } from "../../run/history/layout.ts";
import { type RunSummary, summarizeRun } from "../../run/history/run-summary.ts";
import { formatDuration } from "../../run/render/format.ts";
import { defineHmCommand, dirArg } from "../command.ts";
import { writeStderr, writeStdout } from "../output.ts";

export default defineHmCommand({
  meta: { name: "runs", description: "List the project's saved runs, newest first (hm logs prints one)" },
  args: {
    ...dirArg,
    format: { type: "enum", options: ["human", "json"], description: "Output: a table, or a JSON array" },
  },
  async run({ args }) {
    const project = findProject(process.cwd(), args.dir);
    const runs = savedRuns(projectHistoryDir(project.root)).map(summarizeRun);
    if (args.format === "json") {
      await writeStdout(`${JSON.stringify(runs)}\n`);
      return 0;
    }
    if (runs.length === 0) {
      await writeStderr(`no saved runs of the project ${project.root}\n`);
      return 0;
    }
    await writeStdout(
      table([["RUN", "PIPELINE", "STARTED", "DURATION", "RESULT", "FAILED STEPS"], ...runs.map(row)]),
    );
    return 0;
  },
});

function row(run: RunSummary): string[] {
  const unfinished = run.unfinished_steps.map((s) => s.name);
  return [
    shortRunId(run.run_id),
    run.only === null ? run.pipeline : `${run.pipeline} (only ${run.only.steps} of ${run.only.of} steps)`,
    localTime(run.started_at),
    formatDuration(run.duration_ms),
    run.result === "interrupted" && unfinished.length > 0
      ? `interrupted (in ${unfinished.join(", ")})`
      : run.result,
    run.failed_steps.map((s) => s.name).join(", "),
  ];
}

function localTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((r) => [...(r[column] ?? "")].length))) ?? [];
  return rows
    .map(
      (r) =>
        `${r
          .map((cell, i) => cell + " ".repeat((widths[i] ?? 0) - [...cell].length))
          .join("  ")
          .trimEnd()}\n`,
    )
    .join("");
}
