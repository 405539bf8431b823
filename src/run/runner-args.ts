/**
 * `runner_args` checked against the executor's `step_schema` (a JSON Schema
 * in the plugin's manifest) before anything runs, so a typo in a pipeline
 * fails in a second, not halfway through a build. ajv is loaded only when a
 * step has runner_args and its runner declares a schema (it costs ~27 ms).
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { HmError, messageOf } from "../errors.ts";
import type { GraphIR } from "../protocol/ir.ts";
import type { RunnerChoice } from "./runners.ts";

type Compile = (schema: object) => ValidateFunction;

export async function checkRunnerArgs(graph: GraphIR, choices: readonly RunnerChoice[]): Promise<void> {
  let compile: Compile | undefined;
  const compiled = new Map<string, ValidateFunction>();
  for (const [i, { step }] of graph.graph.nodes.entries()) {
    const choice = choices[i] as RunnerChoice;
    if (step.runner_args === undefined || step.runner_args === null || choice.provider.kind !== "plugin")
      continue;
    const { plugin } = choice.provider;
    const spec = plugin.manifest.capabilities.find(
      (c) => c.kind === "step_executor" && c.runner === choice.runner,
    );
    if (spec?.kind !== "step_executor" || spec.step_schema === null) continue;
    compile ??= await loadCompiler();
    let validate = compiled.get(choice.runner);
    if (validate === undefined) {
      try {
        validate = compile(spec.step_schema as object);
      } catch (error) {
        throw new HmError(
          "E_PLUGIN_LOAD",
          `plugin '${plugin.name}': the step_schema of runner '${choice.runner}' is not a valid JSON Schema: ${messageOf(error)}`,
        );
      }
      compiled.set(choice.runner, validate);
    }
    if (!validate(step.runner_args)) {
      throw new HmError(
        "E_RUNNER_ARGS",
        `step '${step.key}': runner_args do not match the step_schema of runner '${choice.runner}': ${describe(validate.errors ?? [])}`,
      );
    }
  }
}

function describe(errors: ErrorObject[]): string {
  return errors
    .map((e) => {
      const at = e.instancePath === "" ? "runner_args" : `runner_args${e.instancePath.replaceAll("/", ".")}`;
      const extra =
        e.keyword === "additionalProperties"
          ? ` ('${(e.params as { additionalProperty: string }).additionalProperty}')`
          : e.keyword === "enum"
            ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")})`
            : "";
      return `${at} ${e.message ?? "is invalid"}${extra}`;
    })
    .join("; ");
}

async function loadCompiler(): Promise<Compile> {
  const [{ default: Ajv }, { default: Ajv2020 }] = await Promise.all([
    import("ajv"),
    import("ajv/dist/2020.js"),
  ]);
  const draft7 = new Ajv({ allErrors: true, strict: false });
  const draft2020 = new Ajv2020({ allErrors: true, strict: false });
  return (schema) => {
    const dialect = (schema as { $schema?: unknown }).$schema;
    return (typeof dialect === "string" && dialect.includes("2020-12") ? draft2020 : draft7).compile(schema);
  };
}
