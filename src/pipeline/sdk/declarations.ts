/**
 * Type declarations of the embedded SDK that `hm init` writes into `.hm/types/`
 * so editors type-check pipeline files with no npm install. A test checks
 * that they declare exactly what the SDK exports, and type-checks every
 * `hm init` template against them.
 */
export { TOOLCHAIN_DECLARATIONS } from "./toolchains/declarations.ts";

export const SDK_DECLARATIONS = `// Written by hm init: types of the SDK hm embeds. Regenerate with hm init --force.
export interface CacheForever { readonly kind: "forever"; readonly envKeys: readonly string[] }
export interface CacheTTL { readonly kind: "ttl"; readonly durationSeconds: number; readonly envKeys: readonly string[] }
export interface CacheOnChange { readonly kind: "on_change"; readonly paths: readonly string[] }
export interface CacheCompose { readonly kind: "compose"; readonly policies: readonly CachePolicy[] }
export type CachePolicy = CacheForever | CacheTTL | CacheOnChange | CacheCompose;
type EnvKeys = { envKeys?: readonly string[] } | readonly string[];
/** Cached until the command or the named environment variables change. */
export declare function forever(opts?: EnvKeys): CacheForever;
/** Cached for a duration: seconds, or "30s" / "5m" / "1h30m". */
export declare function ttl(duration: string | number, opts?: EnvKeys): CacheTTL;
/** Cached until one of these files, directories or globs changes (relative to the project). */
export declare function onChange(...paths: string[]): CacheOnChange;
/** Cached while every policy hits. */
export declare function compose(...policies: CachePolicy[]): CacheCompose;

export interface StepOptions {
  readonly label?: string;
  readonly cache?: CachePolicy;
  readonly env?: Readonly<Record<string, string>>;
  readonly image?: string;
  readonly runner?: string;
  readonly runnerArgs?: Readonly<Record<string, unknown>>;
  readonly key?: string;
  /** Runs the command as \`cd <cwd> && <cmd>\`. */
  readonly cwd?: string;
}
export declare class Step {
  private constructor();
  /** A step that runs in this step's filesystem, after it. */
  sh(cmd: string, opts?: StepOptions): Step;
  /** A branch point: steps built on it share this step's snapshot. */
  fork(opts?: { label?: string }): Step;
}
export declare function scratch(opts?: { image?: string }): Step;
export declare function sh(cmd: string, opts?: StepOptions): Step;
/** Among a pipeline's leaves: everything after it waits for everything before it. */
export declare function wait(opts?: { continueOnFailure?: boolean }): Step;
export declare function timeout(duration: string | number, step: Step): Step;

type Globs = string | readonly string[];
export declare class PushTrigger { readonly branches: string[] | undefined; readonly tags: string[] | undefined; toJSON(): Record<string, unknown> }
export declare class PullRequestTrigger { readonly branches: string[] | undefined; readonly types: string[]; toJSON(): Record<string, unknown> }
export type Trigger = PushTrigger | PullRequestTrigger;
export declare function push(opts: { branch: Globs; tag?: undefined } | { tag: Globs; branch?: undefined }): PushTrigger;
export type PullRequestType = "opened" | "synchronize" | "reopened" | "closed" | "ready_for_review";
export declare function pullRequest(opts?: { branches?: Globs; types?: PullRequestType[] }): PullRequestTrigger;

export interface PipelineOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly timeout?: string | number;
  /** Ignored (kept for older pipeline files). */
  readonly defaultImage?: string;
}
export interface PipelineIR {
  version: string;
  timeout_seconds?: number;
  graph: { nodes: { step: Record<string, unknown>; env: Record<string, string> }[]; node_holes: never[]; edge_property: "directed"; edges: [number, number, "builds_in" | "depends_on"][] };
}
export declare function pipeline(leaves: Step[], opts?: PipelineOptions): PipelineIR;
export interface PipelineDefinition {
  readonly slug: string;
  readonly name?: string;
  readonly allowManual?: boolean;
  readonly triggers?: readonly Trigger[];
  readonly pipeline: PipelineIR;
}
export interface RenderOptions {
  readonly basePath?: string;
  readonly pipelineOrg?: string;
  readonly now?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}
export declare function renderEnvelope(definitions: readonly PipelineDefinition[], opts?: RenderOptions): string;
export declare function resolvePipelineCacheKeys(graph: PipelineIR["graph"], opts: { pipelineOrg: string; pipelineSlug: string; now: number; basePath: string; env: Readonly<Record<string, string | undefined>> }): void;
export declare function target<T>(name: string, fn: () => T): () => T;
export declare function clearTargetCache(): void;
/** A cached \`apt-get install\` root step, to pass as \`base\` to toolchains. */
export declare function aptBase(opts: { packages: readonly string[]; image?: string; label?: string }): Step;
`;
