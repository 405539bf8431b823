/**
 * The runs saved for a project, read back (`docs/design.md`, "Run history"):
 * their records, whether each is still going, and what its outline says of
 * its steps. A run without a verdict whose process is gone was killed (or
 * crashed): it is "interrupted", never taken for a pass.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { processRunning, procStat } from "../../process-alive.ts";
import { applyEvent, type BuildState, newBuildState, type StepView } from "../render/build-state.ts";
import { parseEventLine } from "./event-lines.ts";
import { END_FILE, EVENTS_FILE, OUTLINE_FILE, RUN_FILE, RunEnd, RunStart } from "./layout.ts";

export interface SavedRun {
  readonly id: string;
  readonly dir: string;
  readonly start: RunStart;
  readonly end: RunEnd | null;
  /** No verdict yet and the process recording it still runs. */
  readonly live: boolean;
}

export type RunResult = "passed" | "failed" | "timed out" | "cancelled" | "running" | "interrupted";

/** The project's saved runs, newest first; directories that are not (yet) a run are left out. */
export function savedRuns(projectDir: string): SavedRun[] {
  let names: string[];
  try {
    names = readdirSync(projectDir);
  } catch {
    return [];
  }
  const runs: SavedRun[] = [];
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const run = readRun(join(projectDir, name));
    if (run !== null) runs.push(run);
  }
  return runs.sort(
    (a, b) => b.start.started_at.localeCompare(a.start.started_at) || a.id.localeCompare(b.id),
  );
}

export function readRun(dir: string): SavedRun | null {
  const start = readJson(join(dir, RUN_FILE), RunStart);
  if (start === null) return null;
  const end = readJson(join(dir, END_FILE), RunEnd);
  return { id: start.run_id, dir, start, end, live: end === null && ownerRunning(start) };
}

/** Re-reads whether a run is over (its verdict written, or its process gone). */
export function runOver(run: SavedRun): boolean {
  return existsSync(join(run.dir, END_FILE)) || !ownerRunning(run.start);
}

function ownerRunning(start: RunStart): boolean {
  if (!processRunning(start.pid)) return false;
  if (start.pid_start === null) return true;
  return procStat(start.pid)?.startTime === start.pid_start;
}

function readJson<T extends v.GenericSchema>(file: string, schema: T): v.InferOutput<T> | null {
  try {
    const parsed = v.safeParse(schema, JSON.parse(readFileSync(file, "utf8")));
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}

export function resultOf(run: SavedRun): RunResult {
  if (run.end === null) return run.live ? "running" : "interrupted";
  switch (run.end.exit_code) {
    case 0:
      return "passed";
    case 124:
      return "timed out";
    case 130:
      return "cancelled";
    default:
      return "failed";
  }
}

/** How long the run took; for one without a verdict, until now (running) or its last write (interrupted). */
export function durationOf(run: SavedRun): number {
  if (run.end !== null) return run.end.duration_ms;
  const started = Date.parse(run.start.started_at);
  if (run.live) return Date.now() - started;
  try {
    return Math.max(0, statSync(join(run.dir, EVENTS_FILE)).mtimeMs - started);
  } catch {
    return 0;
  }
}

/** The run's steps as the summary names them, folded from its outline (no log lines read). */
export function outlineOf(run: SavedRun): BuildState {
  const state = newBuildState(0);
  let text = "";
  try {
    text = readFileSync(join(run.dir, OUTLINE_FILE), "utf8");
  } catch {
    return state;
  }
  for (const line of text.split("\n")) {
    const event = line === "" ? null : parseEventLine(line);
    if (event !== null) applyEvent(state, event, 0);
  }
  return state;
}

export function failedSteps(state: BuildState): StepView[] {
  return state.steps.filter((s) => s.status === "failed" || s.status === "timed_out");
}
