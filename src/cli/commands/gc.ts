import { connectEngine } from "../../docker/engine.ts";
import { reapEngine } from "../../docker/gc.ts";
import { isHmError } from "../../errors.ts";
import { kvDatabasePath } from "../../plugins/paths.ts";
import { forgetRuns, liveRunIds, reapDeadRuns } from "../../run/run-records.ts";
import { defineHmCommand } from "../command.ts";
import { writeStdout } from "../output.ts";

export default defineHmCommand({
  meta: {
    name: "gc",
    description: "Remove what dead hm runs left: run directories, containers and ephemeral images",
  },
  args: {},
  async run() {
    const runs = reapDeadRuns(process.env, Number.POSITIVE_INFINITY);
    forgetRuns(kvDatabasePath(), runs);
    const lines = [`run directories removed: ${runs.length}`];
    try {
      const engine = await connectEngine();
      const reaped = await reapEngine(engine, liveRunIds());
      lines.push(
        `containers removed: ${reaped.containers}`,
        `ephemeral images removed: ${reaped.images}`,
        `stale cache entries removed: ${reaped.staleCacheEntries}`,
      );
    } catch (error) {
      if (!isHmError(error)) throw error;
      lines.push(`docker: skipped (${error.message})`);
    }
    await writeStdout(`${lines.join("\n")}\n`);
    return 0;
  },
});
