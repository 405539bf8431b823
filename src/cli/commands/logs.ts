import { findProject } from "../../pipeline/project.ts";
import { readRun, type SavedRun, savedRuns } from "../../run/history/catalog.ts";
import { projectHistoryDir, shortRunId } from "../../run/history/layout.ts";
import {
  findRun,
  findStep,
  latestRun,
  runOrStep,
  unknownRun,
  unknownRunOrStep,
  unknownStep,
} from "../../run/history/lookup.ts";
import { showRun } from "../../run/history/show-run.ts";
import type { StepView } from "../../run/render/build-state.ts";
import { streamSink } from "../../run/render/sink.ts";
import { paintFor } from "../../term.ts";
import { defineHmCommand, dirArg } from "../command.ts";
import { writeStderr } from "../output.ts";

export default defineHmCommand({
  meta: {
    name: "logs",
    description: "Print a saved run's logs (default: the latest run; -f follows a running one)",
  },
  args: {
    run: {
      type: "positional",
      description: "Run id or its start (default: the latest run; a step name alone means a step of it)",
      required: false,
    },
    step: { type: "positional", description: "Step key or name (default: every step)", required: false },
    ...dirArg,
    follow: { type: "boolean", alias: "f", description: "Keep printing until the run (or the step) ends" },
    format: {
      type: "enum",
      options: ["human", "json"],
      description: "Output: log lines, or the saved events as hm run --format json printed them",
    },
  },
  async run({ args }) {
    const project = findProject(process.cwd(), args.dir);
    const { run, step } = pick(args.run, args.step, projectHistoryDir(project.root), project.root);
    const state = await showRun({
      run,
      step,
      format: args.format ?? "human",
      follow: args.follow === true,
      sink: streamSink(process.stdout),
      paint: paintFor(1),
    });
    // Everything written reaches stdout before hm exits.
    await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
    const id = shortRunId(run.id);
    if (state === "going") await writeStderr(`run ${id} is still going: hm logs -f ${id} follows it\n`);
    else if (readRun(run.dir)?.end === null)
      await writeStderr(
        `run ${id} ended without a verdict (hm was killed or crashed): these are the lines it saved\n`,
      );
    return 0;
  },
});

function pick(
  runText: string | undefined,
  stepText: string | undefined,
  projectDir: string,
  projectRoot: string,
): { run: SavedRun; step: StepView | null } {
  if (runText === undefined) return { run: latestRun(projectDir, projectRoot), step: null };
  if (stepText !== undefined) {
    const run = findRun(runText, projectDir, "project, then anywhere");
    if (run === null) throw unknownRun(runText, projectDir, projectRoot);
    const step = findStep(run, stepText);
    if (step === null) throw unknownStep(run, stepText);
    return { run, step };
  }
  // One word: a run of this project or a step of its latest run (`hm logs test`), never a guess
  // between the two, else a run of any project.
  const inProject = findRun(runText, projectDir, "project");
  const latest = savedRuns(projectDir)[0];
  const step = latest === undefined ? null : findStep(latest, runText);
  if (inProject !== null && latest !== undefined && step !== null)
    throw runOrStep(runText, inProject, latest);
  if (inProject !== null) return { run: inProject, step: null };
  if (latest !== undefined && step !== null) return { run: latest, step };
  const anywhere = findRun(runText, projectDir, "project, then anywhere");
  if (anywhere !== null) return { run: anywhere, step: null };
  throw latest === undefined
    ? unknownRun(runText, projectDir, projectRoot)
    : unknownRunOrStep(runText, latest);
}
