/**
 * The names of hm's own verbs, as plain data: the plugin registry and
 * `hm plugin install` refuse plugins that claim one, and main.ts tells a
 * built-in command from a plugin verb (root.ts). It imports only the verbs
 * the lower layers start hm with (named where they are used), so
 * no command module reaches the command table (root.ts) through it; root.ts
 * and internal-verbs.ts key their tables by these lists, so the compiler
 * keeps them in step.
 */
import { EVAL_VERB } from "../pipeline/contained-eval.ts";
import { MANIFEST_VERB } from "../plugins/manifest-probe.ts";
import { BUILD_VERB } from "../supervise/supervisor.ts";

const BUILTIN_COMMAND_NAMES = [
  "completions",
  "cache",
  "gc",
  "help",
  "init",
  "logs",
  "plugin",
  "pipelines",
  "render",
  "run",
  "runs",
  "version",
] as const;
export type BuiltinCommandName = (typeof BUILTIN_COMMAND_NAMES)[number];

/** Verbs hm uses to talk to itself (internal-verbs.ts). */
const INTERNAL_VERB_NAMES = ["__complete", BUILD_VERB, MANIFEST_VERB, EVAL_VERB] as const;
export type InternalVerbName = (typeof INTERNAL_VERB_NAMES)[number];

/** Verbs no plugin may claim: the built-in commands and hm's internal verbs. */
export const BUILTIN_VERBS: readonly string[] = [...BUILTIN_COMMAND_NAMES, ...INTERNAL_VERB_NAMES];
