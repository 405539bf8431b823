import { kvDatabasePath, stateDir } from "../../plugins/paths.ts";
import { BUILTIN_RUNNERS } from "../../run/builtin-runners.ts";
import { pruneGoneProjects } from "../../run/history/retention.ts";
import { loadRunners, reapLeftovers } from "../../run/reap.ts";
import { formatBytes } from "../../run/render/format.ts";
import { KEPT_ARCHIVE_MAX_AGE_MS, pruneKeptArchives } from "../../run/workspace/pack-reuse.ts";
import { defineHmCommand } from "../command.ts";
import { writeStdout } from "../output.ts";

export default defineHmCommand({
  meta: {
    name: "gc",
    description:
      "Remove what dead hm runs left (run directories, containers, ephemeral images), unused kept archives and the saved runs of projects that are gone",
  },
  args: {},
  async run() {
    const report = await reapLeftovers({
      scope: "over",
      runners: await loadRunners(BUILTIN_RUNNERS),
      waitForInFlight: true,
      limit: Number.POSITIVE_INFINITY,
      kvPath: kvDatabasePath(),
    });
    const lines = [`run directories removed: ${report.runs.length}`];
    for (const runner of report.runners) {
      if ("skipped" in runner) lines.push(`${runner.runner}: skipped (${runner.skipped})`);
      else for (const { what, count } of runner.reaped) lines.push(`${what} removed: ${count}`);
    }
    const kept = pruneKeptArchives(stateDir(), KEPT_ARCHIVE_MAX_AGE_MS);
    lines.push(`kept workspace archives removed: ${kept.count} (${formatBytes(kept.bytes)})`);
    const history = await pruneGoneProjects();
    lines.push(`saved runs of removed projects removed: ${history.count} (${formatBytes(history.bytes)})`);
    await writeStdout(`${lines.join("\n")}\n`);
    return 0;
  },
});
