/** Triggers recorded in the discovery envelope (hm run ignores them; a cloud uses them). */

import { SdkError } from "./errors.ts";
import { warnUnknownOptions } from "./options.ts";
export type Trigger = PushTrigger | PullRequestTrigger;

type Globs = string | readonly string[];

function globList(value: Globs | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? [value] : [...value];
}

export class PushTrigger {
  constructor(
    readonly branches: string[] | undefined,
    readonly tags: string[] | undefined,
  ) {}

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { event: "push" };
    if (this.branches !== undefined) out.branches = this.branches;
    if (this.tags !== undefined) out.tags = this.tags;
    return out;
  }
}

export function push(
  opts: { branch: Globs; tag?: undefined } | { tag: Globs; branch?: undefined },
): PushTrigger {
  if (opts !== null && typeof opts === "object") warnUnknownOptions(opts, ["branch", "tag"], "push() option");
  const branches = globList(opts?.branch);
  const tags = globList(opts?.tag);
  if ((branches === undefined) === (tags === undefined)) {
    throw new SdkError("hm.push: pass exactly one of branch or tag", {
      hint: 'e.g. push({ branch: "main" }) or push({ tag: "v*" })',
      bare: true,
    });
  }
  return new PushTrigger(branches, tags);
}

export type PullRequestType = "opened" | "synchronize" | "reopened" | "closed" | "ready_for_review";
const PULL_REQUEST_TYPES: ReadonlySet<string> = new Set([
  "opened",
  "synchronize",
  "reopened",
  "closed",
  "ready_for_review",
]);
const DEFAULT_PULL_REQUEST_TYPES: PullRequestType[] = ["opened", "synchronize", "reopened"];

export class PullRequestTrigger {
  constructor(
    readonly branches: string[] | undefined,
    readonly types: string[],
  ) {}

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { event: "pull_request" };
    if (this.branches !== undefined) out.branches = this.branches;
    out.types = this.types;
    return out;
  }
}

export function pullRequest(opts?: { branches?: Globs; types?: PullRequestType[] }): PullRequestTrigger {
  if (opts !== undefined && opts !== null && typeof opts === "object")
    warnUnknownOptions(opts, ["branches", "types"], "pullRequest() option");
  const types = opts?.types ?? DEFAULT_PULL_REQUEST_TYPES;
  if (types.length === 0) throw new SdkError("hm.pullRequest: types must be non-empty", { bare: true });
  for (const type of types) {
    if (!PULL_REQUEST_TYPES.has(type)) {
      throw new SdkError(`unknown pull_request type "${type}"`, {
        hint: `valid: ${[...PULL_REQUEST_TYPES].sort().join(", ")}`,
        bare: true,
      });
    }
  }
  return new PullRequestTrigger(globList(opts?.branches), [...types]);
}
