import { loadPipelines } from "../../pipeline/load.ts";
import { findProject } from "../../pipeline/project.ts";
import { selectPipeline } from "../../pipeline/select.ts";
import { defineHmCommand, dirArg } from "../command.ts";
import { commandConfig } from "../config/command-config.ts";
import { writeStdout } from "../output.ts";

export default defineHmCommand({
  meta: { name: "render", description: "Print one pipeline's IR (graph format, compact JSON)" },
  args: {
    slug: { type: "positional", description: "Pipeline slug (optional when there is one)", required: false },
    ...dirArg,
  },
  async run({ args, data }) {
    const project = findProject(process.cwd(), args.dir);
    const { config } = commandConfig(project, data);
    const pipelines = await loadPipelines(project, {
      log: data.log,
      evalTimeout: config.pipeline.eval_timeout,
    });
    const match = selectPipeline(pipelines, args.slug);
    await writeStdout(`${JSON.stringify(match.entry.definition)}\n`);
    return 0;
  },
});
