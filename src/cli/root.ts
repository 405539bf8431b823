/** The root command: built-in commands, loaded lazily so `hm --help` stays cheap. */

import type { CommandDef } from "citty";
import { HM_VERSION } from "../version.ts";
import type { BuiltinCommandName } from "./verbs.ts";

export { BUILTIN_VERBS } from "./verbs.ts";

/** One loader per name in verbs.ts: a name missing here, or one not listed there, does not compile. */
export const BUILTIN_COMMANDS = {
  completions: () => import("./commands/completions.ts").then((m) => m.default),
  cache: () => import("./commands/cache.ts").then((m) => m.default),
  gc: () => import("./commands/gc.ts").then((m) => m.default),
  help: () => import("./commands/help.ts").then((m) => m.default),
  init: () => import("./commands/init.ts").then((m) => m.default),
  logs: () => import("./commands/logs.ts").then((m) => m.default),
  plugin: () => import("./commands/plugin.ts").then((m) => m.default),
  pipelines: () => import("./commands/pipelines.ts").then((m) => m.default),
  render: () => import("./commands/render.ts").then((m) => m.default),
  run: () => import("./commands/run.ts").then((m) => m.default),
  runs: () => import("./commands/runs.ts").then((m) => m.default),
  version: () => import("./commands/version.ts").then((m) => m.default),
} satisfies Record<BuiltinCommandName, unknown>;

export const root: CommandDef = {
  meta: {
    name: "hm",
    version: HM_VERSION,
    description: "Run your CI pipeline locally, against the working tree",
  },
  args: {
    verbose: { type: "boolean", alias: "v", description: "Debug logging on stderr" },
    "no-color": { type: "boolean", description: "No colours (also NO_COLOR=1; off when not a terminal)" },
    version: { type: "boolean", alias: "V", description: "Print hm's version" },
  },
  subCommands: BUILTIN_COMMANDS,
};
