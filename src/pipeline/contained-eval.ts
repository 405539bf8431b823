/**
 * Pipeline files are code hm did not write: hm evaluates them in a process of
 * its own (eval-child.ts) under a time limit, so a file that calls
 * process.exit, loops forever, never settles an await or crashes the runtime
 * ends with an error naming it (exit 2), never with hm's own exit or a hang.
 * A process rather than a Worker: it also contains process.kill, chdir,
 * environment changes and crashes of native code, and the compiled binary
 * starts it as itself, with no second entry point.
 */
import { fileURLToPath } from "node:url";
import * as v from "valibot";
import { HmError } from "../errors.ts";
import { type EvalMessage, EvalMessageSchema, type EvalRequest } from "./eval-protocol.ts";
import { adoptLowerings } from "./sdk/host-installers.ts";
import { shownPath } from "./source-location.ts";

/** The verb `hm` answers as the pipeline evaluator (registered in src/cli/internal-verbs.ts). */
export const EVAL_VERB = "__pipelines";
export const EVAL_TIMEOUT_VARIABLE = "HM_EVAL_TIMEOUT";
/** Seconds each pipeline file may take; real pipelines render in well under one. */
const DEFAULT_EVAL_TIMEOUT = 30;

export type ModuleOutcome =
  | { readonly ok: true; readonly entries: unknown[]; readonly warnings: string[] }
  | { readonly ok: false; readonly error: HmError; readonly warnings: string[] };

/**
 * Evaluates the modules at `paths` (absolute, in order) in one child process.
 * Each file answered has an outcome; the first failure is the last file
 * answered. A child that dies, or a file that overruns the time limit, is a
 * failure of the file being evaluated.
 */
export async function evaluateContained(
  files: Omit<EvalRequest, "limitSeconds">,
  options: { readonly hiddenEnv?: readonly string[]; readonly configuredLimit?: number | undefined } = {},
): Promise<Map<string, ModuleOutcome>> {
  const hiddenEnv = options.hiddenEnv ?? [];
  const limitSeconds = evalTimeout(options.configuredLimit);
  const request: EvalRequest = { ...files, limitSeconds };
  const outcomes = new Map<string, ModuleOutcome>();
  const shown = (path: string) => shownPath(path, request.root);
  let current: string | undefined = request.paths[0];
  let done = false;
  let broken: string | null = null;

  const child = Bun.spawn(selfCommand(), {
    // Without it, Bun.spawn passes the environment hm started with.
    ...(hiddenEnv.length > 0 ? { env: withoutVariables(process.env, hiddenEnv) } : {}),
    stdin: "ignore",
    // What a pipeline file prints never reaches hm's stdout, which carries data.
    stdout: 2,
    stderr: "inherit",
    serialization: "json",
    ipc(raw) {
      const parsed = v.safeParse(EvalMessageSchema, raw);
      if (!parsed.success) {
        broken = "sent hm a message it does not understand";
        child.kill("SIGKILL");
        return;
      }
      if (!receive(parsed.output)) child.kill("SIGKILL");
    },
  });
  let timedOut = false;
  let timer = setTimeout(onTimeout, limitSeconds * 1000);
  function onTimeout(): void {
    timedOut = true;
    child.kill("SIGKILL");
  }
  /** Takes one message; false once there is nothing more to wait for. */
  function receive(message: EvalMessage): boolean {
    switch (message.type) {
      case "file":
        current = message.path;
        clearTimeout(timer);
        timer = setTimeout(onTimeout, limitSeconds * 1000);
        return true;
      case "rendered":
        outcomes.set(message.path, { ok: true, entries: message.entries, warnings: message.warnings });
        return true;
      case "failed":
        outcomes.set(message.path, {
          ok: false,
          warnings: message.warnings,
          error: new HmError(
            message.code,
            message.message,
            message.hint ? { hint: message.hint } : undefined,
          ),
        });
        return true;
      case "done":
        adoptLowerings(message.installers);
        done = true;
        return false;
    }
  }

  child.send(request);
  const exitCode = await child.exited;
  clearTimeout(timer);
  if (done) return outcomes;
  const file = current === undefined ? "the pipeline files" : shown(current);
  const failure = (message: string, hint: string) => new HmError("E_PIPELINE_RENDER", message, { hint });
  let error: HmError;
  if (timedOut) {
    error = failure(
      `${file}: still evaluating after ${limitSeconds} s (an endless loop, or an await that never settles?)`,
      `make the file finish, or allow it longer with ${EVAL_TIMEOUT_VARIABLE}=<seconds>`,
    );
  } else if (broken !== null) {
    error = failure(`${file}: its evaluation ${broken}`, "pipeline files must not use process.send");
  } else {
    const ended =
      child.signalCode !== null
        ? `was killed by ${child.signalCode} (a crash in native code it loaded?)`
        : `ended with exit code ${exitCode} (did it call process.exit()?)`;
    error = failure(
      `${file}: its evaluation ${ended} before the file finished`,
      "a pipeline file only builds and exports its pipelines; it must not end the process",
    );
  }
  if (current !== undefined && !outcomes.has(current))
    outcomes.set(current, { ok: false, error, warnings: [] });
  else throw error;
  return outcomes;
}

/** `HM_EVAL_TIMEOUT` in seconds (fractions allowed), else the configured limit (`pipeline.eval_timeout`), else the default. */
export function evalTimeout(configured?: number): number {
  const raw = process.env[EVAL_TIMEOUT_VARIABLE];
  if (raw === undefined || raw === "") return configured ?? DEFAULT_EVAL_TIMEOUT;
  const seconds = Number(raw);
  // At most a day: far beyond any real pipeline, and well inside what a timer can wait.
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400 || raw.trim() !== raw) {
    throw new HmError(
      "E_USAGE",
      `${EVAL_TIMEOUT_VARIABLE} must be a number of seconds > 0 and ≤ 86400 (got '${raw}')`,
      {
        hint: `unset it for the default of ${DEFAULT_EVAL_TIMEOUT} s, or set e.g. ${EVAL_TIMEOUT_VARIABLE}=60`,
      },
    );
  }
  return seconds;
}

/** This hm, started again with the evaluation verb: the binary itself, or bun with hm's main module. */
function selfCommand(): string[] {
  if (import.meta.url.includes("/$bunfs/")) return [process.execPath, EVAL_VERB];
  return [process.execPath, fileURLToPath(new URL("../main.ts", import.meta.url)), EVAL_VERB];
}

/** hm's environment without `names` (hm run's secrets: a pipeline file cannot copy them into its IR). */
export function withoutVariables(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && !names.includes(name)) kept[name] = value;
  return kept;
}
