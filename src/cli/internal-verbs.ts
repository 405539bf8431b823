/**
 * Verbs hm uses to talk to itself (the completion scripts, and hm processes it
 * starts), dispatched by main.ts before the CLI frame: not listed, never
 * claimable by a plugin. Each loads its module only when called. Add one line
 * per verb, and its name to INTERNAL_VERB_NAMES (verbs.ts).
 */
import type { InternalVerbName } from "./verbs.ts";

type Verb = (args: string[]) => Promise<number>;

/** Keyed by INTERNAL_VERB_NAMES (checked), read by any word main.ts is given. */
export const INTERNAL_VERBS: Readonly<Record<string, Verb>> = {
  __complete: (args) => import("./commands/complete.ts").then((m) => m.printCompletions(args)),
  __build: (args) => import("./build-child.ts").then((m) => m.runBuildChild(args)),
  __manifests: (args) => import("../plugins/manifest-probe-child.ts").then((m) => m.readManifests(args)),
  __pipelines: (args) => import("../pipeline/eval-child.ts").then((m) => m.evaluateForParent(args)),
} satisfies Record<InternalVerbName, Verb>;
