/**
 * `hm __build <supervisor pid> <argv…>`: the command a supervisor started
 * (supervisor.ts), run like any hm command, reporting to it on the report
 * pipe and ending with its verdict there. The verdict is the last thing the
 * child says: exiting without it means something ended the process.
 */
import { REPORT_FD } from "./protocol.ts";
import { report, startReporting } from "./report.ts";

export async function runBuildChild(args: string[]): Promise<number> {
  const [pid, ...argv] = args;
  await (await import("./child-guard.ts")).guardBuildChild(REPORT_FD, Number(pid));
  startReporting(REPORT_FD);
  const [{ root }, { runCli }, { pluginExtra }, { HM_VERSION }] = await Promise.all([
    import("../cli/root.ts"),
    import("../cli/run-cli.ts"),
    import("../cli/plugin-extra.ts"),
    import("../version.ts"),
  ]);
  const code = await runCli(root, argv, { version: HM_VERSION, extra: pluginExtra(argv) });
  report({ t: "verdict", code });
  return code;
}
