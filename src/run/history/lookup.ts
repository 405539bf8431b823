/**
 * What `hm logs [RUN] [STEP]` names, found among the saved runs: a run by id
 * or id prefix (this project's first, then any project's, so the command the
 * summary prints works from any directory), a step by key, summary name or
 * display name. A name that matches nothing, or more than one, is an error
 * listing what exists.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { HmError } from "../../errors.ts";
import type { StepView } from "../render/build-state.ts";
import { outlineOf, resultOf, type SavedRun, savedRuns } from "./catalog.ts";
import { historyRoot, shortRunId } from "./layout.ts";

/** Runs and steps listed in an error, at most. */
const LISTED = 12;
/**
 * The shortest start of a run id taken as naming a run (git's shortest
 * abbreviation): with one character in sixteen, `hm logs a` would name a run
 * whose id starts with "a" instead of the step "a" one time in sixteen.
 */
export const MIN_RUN_PREFIX = 4;

export function latestRun(projectDir: string, projectRoot: string): SavedRun {
  const run = savedRuns(projectDir)[0];
  if (run === undefined)
    throw new HmError("E_RUN_NOT_FOUND", `no saved runs of the project ${projectRoot}`, {
      hint: "hm run saves each run's logs (unless HM_HISTORY_RUNS=0); -d DIR picks another project",
    });
  return run;
}

/** The run whose id starts with `text` (case-insensitive, at least MIN_RUN_PREFIX characters), or null when no run's does. */
export function findRun(
  text: string,
  projectDir: string,
  where: "project" | "project, then anywhere",
  env: NodeJS.ProcessEnv = process.env,
): SavedRun | null {
  const prefix = text.toLowerCase();
  if (prefix.length < MIN_RUN_PREFIX) return null;
  const inProject = savedRuns(projectDir).filter((run) => run.id.startsWith(prefix));
  const matches =
    inProject.length > 0 || where === "project"
      ? inProject
      : everyProjectsRuns(env).filter((r) => r.id.startsWith(prefix));
  if (matches.length > 1)
    throw new HmError(
      "E_RUN_NOT_FOUND",
      `'${text}' is the start of ${matches.length} run ids: ${describeRuns(matches)}`,
      {
        hint: "type more of the run id",
      },
    );
  return matches[0] ?? null;
}

export function unknownRun(text: string, projectDir: string, projectRoot: string): HmError {
  if (text.length < MIN_RUN_PREFIX)
    return new HmError(
      "E_RUN_NOT_FOUND",
      `'${text}' is too short to name a run: give at least ${MIN_RUN_PREFIX} characters of its id`,
      { hint: "hm runs lists the saved runs with their ids" },
    );
  const runs = savedRuns(projectDir);
  return new HmError(
    "E_RUN_NOT_FOUND",
    runs.length === 0
      ? `no saved run '${text}': the project ${projectRoot} has none, nor has any other`
      : `no saved run '${text}'; this project's latest: ${describeRuns(runs)}`,
    { hint: "hm runs lists the saved runs of the project" },
  );
}

/** The step `text` names: its key, its name in the summary, or its display name when no other step has it. */
export function findStep(run: SavedRun, text: string): StepView | null {
  const steps = outlineOf(run).steps;
  const exact = steps.find((s) => s.key === text) ?? steps.find((s) => s.name === text);
  if (exact !== undefined) return exact;
  const namesakes = steps.filter((s) => s.name.startsWith(`${text} #`));
  if (namesakes.length > 1)
    throw new HmError(
      "E_RUN_NOT_FOUND",
      `${namesakes.length} steps of run ${shortRunId(run.id)} are named '${text}': ${listed(namesakes.map((s) => s.name))}`,
      { hint: "name one as the summary does (with its #key start), or by its key" },
    );
  return namesakes[0] ?? null;
}

export function unknownStep(run: SavedRun, text: string): HmError {
  const names = outlineOf(run).steps.map((s) => s.name);
  return new HmError(
    "E_RUN_NOT_FOUND",
    names.length === 0
      ? `run ${shortRunId(run.id)} has no step '${text}': no step of it was queued`
      : `run ${shortRunId(run.id)} has no step '${text}'; its steps: ${listed(names)}`,
    { hint: "name a step by its key or its name in the summary" },
  );
}

function everyProjectsRuns(env: NodeJS.ProcessEnv): SavedRun[] {
  const root = historyRoot(env);
  let projects: string[] = [];
  try {
    projects = readdirSync(root);
  } catch {
    return [];
  }
  return projects.flatMap((project) => savedRuns(join(root, project)));
}

function describeRuns(runs: readonly SavedRun[]): string {
  return listed(
    runs.map(
      (run) => `${shortRunId(run.id)} (${run.start.pipeline}, ${resultOf(run)}, ${run.start.started_at})`,
    ),
  );
}

function listed(items: readonly string[]): string {
  const shown = items.slice(0, LISTED).join(", ");
  return items.length > LISTED ? `${shown}, … (${items.length - LISTED} more)` : shown;
}

/** One word that starts a run's id and also names a step of the latest run: neither is guessed. */
export function runOrStep(text: string, run: SavedRun, latest: SavedRun): HmError {
  return new HmError(
    "E_RUN_NOT_FOUND",
    `'${text}' is both the start of run ${shortRunId(run.id)}'s id and a step of the latest run ${shortRunId(latest.id)}`,
    {
      hint: `hm logs ${shortRunId(run.id)} prints that run; hm logs ${shortRunId(latest.id)} '${text}' prints the step`,
    },
  );
}

/** One word given that is neither a run nor a step of the latest run. */
export function unknownRunOrStep(text: string, latest: SavedRun): HmError {
  const names = outlineOf(latest).steps.map((s) => s.name);
  return new HmError(
    "E_RUN_NOT_FOUND",
    `'${text}' is neither a saved run id nor a step of the latest run ${shortRunId(latest.id)} (its steps: ${listed(names)})`,
    { hint: "hm runs lists the saved runs; hm logs RUN STEP names a step of another run" },
  );
}
