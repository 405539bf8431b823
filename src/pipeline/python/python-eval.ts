/**
 * Python pipeline files (`.hm/*.py`), evaluated by the system python3 with
 * hm's embedded SDK (sdk-files.ts) under the containment TypeScript files get
 * (`docs/design.md`, "Python pipelines"): a process of its own, the same time
 * limit per file, and an exit or a crash named as the file's failure.
 * Every file is evaluated in one process, in order, then every declared
 * pipeline rendered, as the reference evaluates them: targets are shared
 * across files and memoised across the pipelines of one render.
 */
import { join } from "node:path";
import * as v from "valibot";
import { HmError } from "../../errors.ts";
import { EVAL_TIMEOUT_VARIABLE, evalTimeout, withoutVariables } from "../contained-eval.ts";
import { adoptLowerings } from "../sdk/host-installers.ts";
import { shownPath } from "../source-location.ts";
import { type PythonMessage, PythonMessageSchema } from "./protocol.ts";
import { sdkDirectory } from "./sdk-directory.ts";

const MINIMUM_PYTHON = "3.10";
/** Seconds python3 may take to start and load the SDK, before the first file's limit starts. */
const START_UP_SECONDS = 15;

interface PythonRequest {
  readonly root: string;
  /** Unix seconds for ttl cache keys. */
  readonly now: number;
  /** Absolute paths of the `.py` files, sorted by name. */
  readonly paths: readonly string[];
}

/** The rendered envelope entries of each file, by path; throws an HmError naming the file (and line) that failed. */
export async function evaluatePython(
  request: PythonRequest,
  options: { readonly hiddenEnv?: readonly string[]; readonly configuredLimit?: number | undefined } = {},
): Promise<Map<string, unknown[]>> {
  const shown = (path: string) => shownPath(path, request.root);
  const python = Bun.which("python3");
  if (python === null) {
    throw new HmError(
      "E_PIPELINE_RENDER",
      `${request.paths.map(shown).join(", ")}: Python pipelines need python3 (${MINIMUM_PYTHON} or newer), and there is none on PATH`,
      {
        hint: "install Python 3 (e.g. apt-get install python3, brew install python), or write the pipeline in TypeScript",
      },
    );
  }
  const limitSeconds = evalTimeout(options.configuredLimit);
  return run(python, sdkDirectory(), request, limitSeconds, options.hiddenEnv ?? []);
}

async function run(
  python: string,
  sdkDir: string,
  request: PythonRequest,
  limitSeconds: number,
  /** Variables the pipeline files must not see (`hm run --secret`). */
  hiddenEnv: readonly string[],
): Promise<Map<string, unknown[]>> {
  const shown = (path: string) => shownPath(path, request.root);
  const entries = new Map<string, unknown[]>(request.paths.map((path) => [path, []]));
  let current: string | undefined;
  let failure: HmError | null = null;
  let done = false;
  let unreadable = false;
  let installers: [string, string][] = [];

  const child = Bun.spawn(
    [python, "-B", join(sdkDir, "evaluate.py"), JSON.stringify({ ...request, limitSeconds })],
    {
      cwd: request.root,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
      ...(hiddenEnv.length > 0 ? { env: withoutVariables(process.env, hiddenEnv) } : {}),
    },
  );
  let timedOut = false;
  const onTimeout = () => {
    timedOut = true;
    child.kill("SIGKILL");
  };
  let timer = setTimeout(onTimeout, Math.max(limitSeconds, START_UP_SECONDS) * 1000);

  const take = (message: PythonMessage): void => {
    switch (message.type) {
      case "file":
        current = message.path;
        clearTimeout(timer);
        timer = setTimeout(onTimeout, limitSeconds * 1000);
        return;
      case "entry":
        entries.get(message.path)?.push(message.entry);
        return;
      case "failed":
        failure = new HmError(
          "E_PIPELINE_RENDER",
          message.message,
          message.hint ? { hint: message.hint } : undefined,
        );
        return;
      case "python_too_old":
        failure = new HmError(
          "E_PIPELINE_RENDER",
          `Python pipelines need python3 ${MINIMUM_PYTHON} or newer; ${python} is ${message.version}`,
          { hint: `install Python ${MINIMUM_PYTHON} or newer as python3 on PATH` },
        );
        return;
      case "installers":
        installers = message.pairs;
        return;
      case "done":
        done = true;
        return;
    }
  };

  let buffered = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
      const parsed = v.safeParse(PythonMessageSchema, parseJson(line));
      if (!parsed.success) {
        unreadable = true;
        child.kill("SIGKILL");
        break;
      }
      take(parsed.output);
    }
  }
  const exitCode = await child.exited;
  clearTimeout(timer);
  if (failure !== null) throw failure;
  if (done && !unreadable && exitCode === 0) {
    adoptLowerings(installers);
    return entries;
  }

  const contained = (message: string, hint: string) => new HmError("E_PIPELINE_RENDER", message, { hint });
  if (current === undefined) {
    const how = timedOut
      ? `did not start within ${Math.max(limitSeconds, START_UP_SECONDS)} s`
      : `ended (exit code ${exitCode}) before evaluating`;
    throw contained(
      `${python} ${how} ${request.paths.map(shown).join(", ")}`,
      `check that \`${python} --version\` works, and that no PYTHON* variable points it at another installation`,
    );
  }
  const file = shown(current);
  if (timedOut) {
    throw contained(
      `${file}: still evaluating after ${limitSeconds} s (an endless loop, or a call that never returns?)`,
      `make the file finish, or allow it longer with ${EVAL_TIMEOUT_VARIABLE}=<seconds>`,
    );
  }
  if (unreadable) {
    throw contained(
      `${file}: its evaluation sent hm a message it does not understand`,
      "report this as a bug of hm",
    );
  }
  const ended =
    child.signalCode !== null
      ? `was killed by ${child.signalCode} (a crash in native code it loaded?)`
      : `ended with exit code ${exitCode} (did it call os._exit()?)`;
  throw contained(
    `${file}: its evaluation ${ended} before the file finished`,
    "a pipeline file only declares its pipelines; it must not end the process",
  );
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
