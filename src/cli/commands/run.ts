import { HmError } from "../../errors.ts";
import { loadPipelines } from "../../pipeline/load.ts";
import { findProject } from "../../pipeline/project.ts";
import { selectPipeline } from "../../pipeline/select.ts";
import { report } from "../../report-channel/writer.ts";
import { buildSource } from "../../run/build-source.ts";
import { span } from "../../trace/tracer.ts";
import { defineHmCommand, dirArg } from "../command.ts";
import { commandConfig } from "../config/command-config.ts";
import { onlyNames, onlySteps } from "../only-steps.ts";
import { pluginRegistry } from "../plugin-registry.ts";
import { referenceRunArgs, refuseCloud } from "../reference-run-flags.ts";
import { checkNoPlainSecret, secretSources } from "../secret-flags.ts";

export default defineHmCommand({
  meta: { name: "run", description: "Run a pipeline on this machine, against the working tree" },
  args: {
    pipeline: {
      type: "positional",
      description: "Pipeline slug (optional when there is one)",
      required: false,
    },
    ...dirArg,
    env: {
      type: "string",
      alias: "e",
      valueHint: "KEY[=VALUE]",
      description: "Set a variable in every step (repeatable); KEY alone passes this shell's value",
    },
    secret: {
      type: "string",
      valueHint: "NAME",
      description: "Pass NAME from hm's environment to every step, masked as *** (repeatable)",
    },
    "secret-file": {
      type: "string",
      valueHint: "FILE",
      description: "Pass the NAME=value lines of FILE as secrets (repeatable)",
    },
    parallelism: {
      type: "string",
      valueHint: "N",
      description: "Steps running at once (default: CPU count; 0 means 1)",
    },
    "keep-going": {
      type: "boolean",
      alias: "k",
      description: "After a failure, keep running independent steps",
    },
    format: {
      type: "enum",
      options: ["human", "json"],
      description: "Output on stdout: human, or json (one event per line)",
    },
    logs: { type: "boolean", description: "Plain log lines instead of the progress view" },
    runner: {
      type: "string",
      valueHint: "NAME",
      description: "Runner for steps that name none (e.g. shell)",
    },
    "allow-host-install": {
      type: "boolean",
      description: "Let toolchain steps install software on this machine (shell runner)",
    },
    only: {
      type: "string",
      valueHint: "STEP",
      description: "Run only this step (key or label) and the steps it needs (repeatable)",
    },
    list: {
      type: "boolean",
      description: "Print the steps (key, name, runner, image, needs, cache); run nothing",
    },
    "dry-run": {
      type: "boolean",
      description: "Print what would run and which steps are cache hits; run nothing",
    },
    ...referenceRunArgs,
  },
  async run({ args, rawArgs, data }) {
    const extraEnv = envPairs(rawArgs);
    const only = onlyNames(rawArgs);
    if (args.list === true && args["dry-run"] === true)
      throw new HmError("E_USAGE", "--list and --dry-run cannot go together", {
        hint: "--list prints the steps; --dry-run also asks the cache what each would do",
      });
    const { readSecrets } = await import("../../run/secrets/sources.ts");
    const secrets = readSecrets(secretSources(rawArgs), process.env);
    checkNoPlainSecret(extraEnv, secrets.values);
    const project = findProject(process.cwd(), args.dir);
    // Flags win over the configuration (README, "Configuration").
    const settings = span("load config", () => commandConfig(project, data));
    refuseCloud(args, rawArgs, settings);
    const format = args.format ?? settings.config.preferences.format;
    const parallelism =
      parseParallelism(args.parallelism) ?? configuredParallelism(settings.config.run.parallelism);
    // A supervisor names the pipeline files if loading them ends the process.
    report({ t: "load", dir: project.pipelineDir });
    const whole = selectPipeline(
      await loadPipelines(project, {
        log: data.log,
        hiddenEnv: Object.keys(secrets.values),
        evalTimeout: settings.config.pipeline.eval_timeout,
      }),
      args.pipeline,
    );
    report({ t: "loaded" });
    const { pipeline, selection } = onlySteps(whole, only);
    const registry = span("plugin registry", () => pluginRegistry(data.log, args.dir));
    const runnerFlag = args.runner ?? settings.config.run.runner;
    const write = (text: string) => void process.stdout.write(text);
    if (args.list === true) {
      const { listSteps } = await import("../../run/plan/list-steps.ts");
      return listSteps({ pipeline, registry, runnerFlag, format, selection, write });
    }
    if (args["dry-run"] === true) {
      const { dryRun } = await import("../../run/plan/dry-run.ts");
      return dryRun({
        projectRoot: project.root,
        pipeline,
        registry,
        runnerFlag,
        extraEnv,
        allowHostInstall: args["allow-host-install"] === true,
        format,
        selection,
        write,
      });
    }
    const { runBuild } = await import("../../run/run-build.ts");
    return runBuild({
      project,
      pipeline,
      ...(selection === undefined ? {} : { selection }),
      registry,
      runnerFlag,
      runnerOrigin: args.runner === undefined ? configuredIn(settings.origin.get("run.runner")) : undefined,
      parallelism,
      keepGoing: args["keep-going"] === true,
      format,
      logs: args.logs === true,
      extraEnv,
      secrets,
      allowHostInstall: args["allow-host-install"] === true,
      source: buildSource(project.root, args.branch, args.message),
      historyLimits: {
        ...(settings.config.logs.keep_runs === undefined ? {} : { maxRuns: settings.config.logs.keep_runs }),
        ...(settings.config.logs.max_mib === undefined
          ? {}
          : { maxBytes: settings.config.logs.max_mib * 1024 * 1024 }),
      },
      log: data.log,
    });
  },
});

function parseParallelism(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) {
    throw new HmError("E_USAGE", `--parallelism '${text}': expected a whole number (0 means 1)`);
  }
  return Math.max(1, Number(text));
}

function configuredIn(origin: string | undefined): string | undefined {
  return origin === undefined ? undefined : `set in ${origin}`;
}

function configuredParallelism(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.max(1, value);
}

/**
 * Every `-e KEY=VALUE` / `--env KEY=VALUE` / `--env=KEY=VALUE`, in order (a
 * later key wins). `-e KEY` passes this process's value of KEY, as `docker
 * run -e` does; an unset KEY is an error rather than a step that silently
 * runs without it.
 */
function envPairs(rawArgs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i] as string;
    if (token === "--") break;
    let pair: string | undefined;
    if (token === "-e" || token === "--env") pair = rawArgs[++i];
    else if (token.startsWith("--env=")) pair = token.slice("--env=".length);
    else continue;
    const eq = pair?.indexOf("=") ?? -1;
    if (pair !== undefined && eq < 0 && pair !== "") {
      env[pair] = hostValue(token, pair);
      continue;
    }
    if (pair === undefined || eq <= 0) {
      throw new HmError("E_USAGE", `${token} '${pair ?? ""}': expected KEY=VALUE`);
    }
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function hostValue(token: string, name: string): string {
  const value = process.env[name];
  if (value === undefined) {
    throw new HmError("E_USAGE", `${token} ${name}: ${name} is not set in this environment`, {
      hint: `set it before hm run, or pass ${token} ${name}=VALUE (${token} ${name}= for an empty value)`,
    });
  }
  return value;
}
