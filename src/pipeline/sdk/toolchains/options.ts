/**
 * Option checks shared by the toolchains. The reference SDK ignores options
 * it does not know; hm names the toolchain and the option instead, so a typo
 * (`runtme: "bun"`) fails where it is written rather than rendering a
 * different pipeline. The loader adds the pipeline file and line.
 */

import { describeArgument, SdkError } from "../errors.ts";
import type { Step, StepOptions } from "../step.ts";

/** Options of a toolchain action: a step's options, except `cwd` (the toolchain owns the directory). */
export type ActionOptions = Omit<StepOptions, "cwd">;

export const ACTION_OPTIONS = ["label", "cache", "env", "image", "runner", "runnerArgs", "key"] as const;

/** Throws unless `opts` is undefined or an object whose keys are all in `known`. */
export function checkOptions(where: string, opts: unknown, known: readonly string[]): void {
  if (opts === undefined) return;
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) {
    throw new SdkError(`${where}: options must be an object — got ${describeArgument(opts)}`);
  }
  for (const name of Object.keys(opts)) {
    if (known.includes(name)) continue;
    const hint =
      name === "cwd"
        ? "toolchain steps run in the toolchain's path: pass path to the toolchain, or use .sh() with cwd"
        : `valid options: ${known.join(", ")}`;
    throw new SdkError(`${where}: unknown option '${name}'`, { hint });
  }
}

/** Throws unless `value` is undefined or one of `allowed`. */
export function checkChoice(where: string, option: string, value: unknown, allowed: readonly string[]): void {
  if (value === undefined || allowed.includes(value as string)) return;
  throw new SdkError(`${where}: unsupported ${option} ${describeArgument(value)}`, {
    hint: `use one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`,
  });
}

/** Splits `opts` into the entries named in `names` and the rest (kept as given, undefined values too). */
export function partition<T extends object>(
  opts: T | undefined,
  names: readonly string[],
): [Record<string, unknown>, Record<string, unknown>] {
  const picked: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(opts ?? {})) {
    if (names.includes(name)) picked[name] = value;
    else rest[name] = value;
  }
  return [picked, rest];
}

/** A toolchain action: `cmd` run in `path`, forked off `parent`, labelled `label` unless `opts` says otherwise. */
export function actionStep(
  where: string,
  parent: Step,
  path: string,
  cmd: string,
  label: string,
  opts: ActionOptions | undefined,
): Step {
  checkOptions(where, opts, ACTION_OPTIONS);
  return parent.sh(`cd ${path} && ${cmd}`, { label, ...opts });
}
