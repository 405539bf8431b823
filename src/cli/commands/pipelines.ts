import { loadPipelines } from "../../pipeline/load.ts";
import { findProject } from "../../pipeline/project.ts";
import { defineHmCommand, dirArg } from "../command.ts";
import { commandConfig } from "../config/command-config.ts";
import { writeStdout } from "../output.ts";

export default defineHmCommand({
  meta: { name: "pipelines", description: "Print the project's pipelines (discovery envelope JSON)" },
  args: { ...dirArg },
  async run({ args, data }) {
    const project = findProject(process.cwd(), args.dir);
    const { config } = commandConfig(project, data);
    const pipelines = await loadPipelines(project, {
      log: data.log,
      evalTimeout: config.pipeline.eval_timeout,
    });
    const envelope = { schema_version: "1", pipelines: pipelines.map((p) => p.entry) };
    await writeStdout(`${JSON.stringify(envelope)}\n`);
    return 0;
  },
});
