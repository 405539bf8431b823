import { HmError } from "../../errors.ts";
import { loadPipelines } from "../../pipeline/load.ts";
import { findProject } from "../../pipeline/project.ts";
import { defineHmCommand, dirArg } from "../command.ts";
import { writeStdout } from "../output.ts";

export default defineHmCommand({
  meta: { name: "render", description: "Print one pipeline's IR (graph format, compact JSON)" },
  args: {
    slug: { type: "positional", description: "Pipeline slug", required: true },
    ...dirArg,
  },
  async run({ args }) {
    const project = findProject(process.cwd(), args.dir);
    const pipelines = await loadPipelines(project);
    const match = pipelines.find((p) => p.entry.slug === args.slug);
    if (match === undefined) {
      const available = pipelines.map((p) => p.entry.slug).join(", ") || "(none)";
      throw new HmError("E_PIPELINE_NOT_FOUND", `pipeline '${args.slug}' not found`, {
        hint: `available: ${available}`,
      });
    }
    await writeStdout(`${JSON.stringify(match.entry.definition)}\n`);
    return 0;
  },
});
