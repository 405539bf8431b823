/** One saved run as `hm runs` reports it (its `--format json` object; the table shows the same fields). */
import { durationOf, failedSteps, outlineOf, type RunResult, resultOf, type SavedRun } from "./catalog.ts";

export interface RunSummary {
  readonly run_id: string;
  readonly pipeline: string;
  /** A run of a part of the pipeline (`hm run --only`); null for a whole run. */
  readonly only: { names: string[]; steps: number; of: number } | null;
  readonly started_at: string;
  readonly duration_ms: number;
  readonly result: RunResult;
  /** The build's exit code; null for a run with no verdict (running or interrupted). */
  readonly exit_code: number | null;
  readonly failed_steps: { key: string; name: string }[];
  /** Steps started and not ended: of a running run, those running; of an interrupted one, those cut short. */
  readonly unfinished_steps: { key: string; name: string }[];
  readonly project_root: string;
  /** Where its files are. */
  readonly dir: string;
}

export function summarizeRun(run: SavedRun): RunSummary {
  const outline = outlineOf(run);
  const named = (s: { key: string; name: string }) => ({ key: s.key, name: s.name });
  return {
    run_id: run.id,
    pipeline: run.start.pipeline,
    only: run.start.only ?? null,
    started_at: run.start.started_at,
    duration_ms: Math.round(durationOf(run)),
    result: resultOf(run),
    exit_code: run.end?.exit_code ?? null,
    failed_steps: failedSteps(outline).map(named),
    unfinished_steps: run.end === null ? outline.steps.filter((s) => s.status === "running").map(named) : [],
    project_root: run.start.project_root,
    dir: run.dir,
  };
}
