/**
 * `hm __build <supervisor pid> <call table> <argv…>`: the command a supervisor started
 * (src/supervise/supervisor.ts), run like any hm command, reporting to it on the report
 * pipe and ending with its verdict there. The verdict is the last thing the
 * child says: exiting without it means something ended the process.
 */
import { CallTableWriter } from "../report-channel/call-table.ts";
import { REPORT_FD } from "../report-channel/lines.ts";
import { report, startReporting } from "../report-channel/writer.ts";

export async function runBuildChild(args: string[]): Promise<number> {
  const [pid, table, ...argv] = args;
  if (argv.some((t) => t.startsWith("--debug-trace")))
    (await import("./debug-trace.ts")).joinSupervisorTrace(argv, Number(pid));
  await (await import("../supervise/child-guard.ts")).guardBuildChild(REPORT_FD, Number(pid));
  startReporting(REPORT_FD, CallTableWriter.open(table ?? ""));
  report({ t: "ready" });
  const code = await (await import("./run-hm.ts")).runHm(argv);
  report({ t: "verdict", code });
  return code;
}
