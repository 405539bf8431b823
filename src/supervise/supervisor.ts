/**
 * The verdict only from a finished build. `hm run` (and a plugin verb) runs
 * in a child hm (`hm __build`, src/cli/build-child.ts) that keeps the terminal; this
 * process only waits, forwards SIGINT and SIGTERM (the child's handlers
 * decide what they mean, src/signals.ts; a press that reaches both through
 * the terminal counts once there), and keeps what the child reports. A
 * child that exits with its verdict gives hm its exit code. One that dies
 * without it (a plugin's exit() or crash, a fatal signal, a forced exit)
 * is named and its run cleaned up by after-death.ts: never exit 0.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { createCallTable, type InFlightCall, readCallTable } from "../report-channel/call-table.ts";
import { REPORT_FD, ReportLine } from "../report-channel/lines.ts";
import { processExited, span } from "../trace/tracer.ts";
import type { SupervisorOutput } from "./after-death.ts";

/** What the child said so far. */
interface ChildState {
  /** The pipeline directory being loaded, until loading ended (undefined: not loading). */
  loading: string | null | undefined;
  run: { id: string; docker: boolean } | null;
  verbScope: string | null;
  /** Plugin calls in flight when the child died (read from the call table then). */
  calls: InFlightCall[];
  verdict: number | null;
  /** The call table's file, until the child has mapped it. */
  tablePath: string | null;
}

/** The verb `hm` answers as the build child (registered in src/cli/internal-verbs.ts). */
export const BUILD_VERB = "__build";

/** How to start this hm again: the compiled binary is its own entry; from source, Bun runs main.ts. */
function childCommand(argv: readonly string[], tablePath: string): string[] {
  const self = [process.pid.toString(), tablePath, ...argv];
  if (import.meta.url.includes("/$bunfs/")) return [process.execPath, BUILD_VERB, ...self];
  return [process.execPath, new URL("../main.ts", import.meta.url).pathname, BUILD_VERB, ...self];
}

export async function superviseBuild(argv: readonly string[], output: SupervisorOutput): Promise<number> {
  const stdio: ["inherit", "inherit", "inherit", "pipe"] = ["inherit", "inherit", "inherit", "pipe"];
  if (REPORT_FD !== stdio.length - 1) throw new Error("the report pipe must be the child's fd 3");
  const tablePath = join(tmpdir(), `hm-calls-${process.pid}-${crypto.randomUUID()}`);
  const tableFd = createCallTable(tablePath);
  const state: ChildState = {
    loading: undefined,
    run: null,
    verbScope: null,
    calls: [],
    verdict: null,
    tablePath,
  };
  const child = Bun.spawn(childCommand(argv, tablePath), { stdio });
  const reading = readReports(child.stdio[REPORT_FD] as number, state);
  let interrupted = false;
  let terminated = false;
  const onInterrupt = () => {
    interrupted = true;
    child.kill("SIGINT");
  };
  const onTerminate = () => {
    terminated = true;
    child.kill("SIGTERM");
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onTerminate);
  try {
    const lifetime = () => child.exited.finally(() => processExited(child.pid));
    const exitCode = await span("build child", lifetime, { pid: child.pid });
    // What the child wrote before it died is in the pipe; a descendant still holding it must not hold us.
    await Promise.race([reading, Bun.sleep(500)]);
    unlinkTable(state);
    state.calls = readCallTable(tableFd);
    if (state.verdict !== null) return state.verdict;
    const { afterDeath } = await import("./after-death.ts");
    return await span("after the child's death", () =>
      afterDeath(
        state,
        {
          exitCode,
          signal: child.signalCode === null ? null : String(child.signalCode),
          stopRequested: interrupted || terminated,
          terminated,
        },
        output,
      ),
    );
  } finally {
    unlinkTable(state);
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onTerminate);
  }
}

/** Once mapped (or the child is gone) the file needs no name: nothing is left if this process is killed. */
function unlinkTable(state: ChildState): void {
  if (state.tablePath === null) return;
  rmSync(state.tablePath, { force: true });
  state.tablePath = null;
}

async function readReports(fd: number, state: ChildState): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of Bun.file(fd).stream()) {
    pending += decoder.decode(chunk, { stream: true });
    let end = pending.indexOf("\n");
    while (end >= 0) {
      apply(state, pending.slice(0, end));
      pending = pending.slice(end + 1);
      end = pending.indexOf("\n");
    }
  }
}

function apply(state: ChildState, text: string): void {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return; // not a report line: ignore it rather than trust it
  }
  const result = v.safeParse(ReportLine, json);
  if (!result.success) return;
  const parsed = result.output;
  switch (parsed.t) {
    case "load":
      state.loading = parsed.dir;
      break;
    case "loaded":
      state.loading = undefined;
      break;
    case "ready":
      unlinkTable(state);
      break;
    case "run":
      state.run = { id: parsed.run, docker: parsed.docker };
      break;
    case "verb":
      state.verbScope = parsed.scope;
      break;
    case "verdict":
      state.verdict = parsed.code;
      break;
  }
}
