/** Running a plugin verb: one `run_subcommand` call on a worker; ExitInfo becomes hm's exit. */
import type { Logger } from "../log.ts";
import type { Project } from "../pipeline/project.ts";
import { decodeExitInfo, encodeSubcommandInput, type SubcommandInput } from "../protocol/index.ts";
import { report } from "../report-channel/writer.ts";
import { handleStopSignals, type StopSignals } from "../signals.ts";
import { KvStore } from "./kv-store.ts";
import { kvDatabasePath } from "./paths.ts";
import { callPlugin } from "./plugin-call.ts";
import type { PluginEntry } from "./registry.ts";
import { WorkerPool } from "./worker-pool.ts";

export async function runSubcommand(
  plugin: PluginEntry,
  input: SubcommandInput,
  project: Project,
  log: Logger,
): Promise<number> {
  const pool = new WorkerPool(1);
  let signals: StopSignals | undefined;
  const invocation = crypto.randomUUID();
  const kvPath = kvDatabasePath();
  report({ t: "verb", scope: invocation });
  // Chained so plugin output reaches the terminal in the order it was written.
  let written: Promise<unknown> = Promise.resolve();
  try {
    const call = callPlugin(
      pool,
      plugin,
      "runSubcommand",
      encodeSubcommandInput(input),
      // A verb gets a build KV scope of its own, dropped when it ends.
      { runId: invocation, stepId: null, configDir: project.pipelineDir, archives: {}, kvPath },
      decodeExitInfo,
      log,
      {
        onWrite: (fd, bytes) => {
          written = written.then(() => Bun.write(fd === 1 ? Bun.stdout : Bun.stderr, bytes));
        },
      },
    );
    // Ctrl-C or SIGTERM: the plugin's keep_going turns to 0; a second press stops waiting.
    signals = handleStopSignals({
      cancel: () => call.cancel(),
      force: () => dropBuildScope(kvPath, invocation),
    });
    const exit = await call.result;
    if (signals.stopping) return signals.code;
    await written;
    if (exit.message !== null && exit.message !== "") await Bun.write(Bun.stderr, `${exit.message}\n`);
    // A process exit code is one byte: 256 would read as success.
    return exit.exit_code >= 0 && exit.exit_code <= 255 ? exit.exit_code : 1;
  } finally {
    signals?.dispose();
    await written; // whatever the plugin wrote reaches the terminal, even when it failed
    await pool.close();
    dropBuildScope(kvPath, invocation);
  }
}

function dropBuildScope(kvPath: string, owner: string): void {
  const kv = new KvStore(kvPath);
  try {
    kv.dropOwner("build", owner);
  } finally {
    kv.close();
  }
}
