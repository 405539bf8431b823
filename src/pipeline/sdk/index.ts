/**
 * The embedded pipeline SDK, served to pipeline files as `@harmont/hm`,
 * `harmont` and `hm` (see `../sdk-modules.ts`). Its names and lowering match
 * the reference `@harmont/hm` TypeScript SDK.
 */
export { type CachePolicy, compose, forever, onChange, ttl } from "./cache.ts";
export { resolvePipelineCacheKeys } from "./cache-keys.ts";
export { type PipelineDefinition, type RenderOptions, renderEnvelope } from "./envelope.ts";
export { type PipelineIR, type PipelineOptions, pipeline } from "./lower.ts";
export { Step, type StepOptions, scratch, sh, timeout, wait } from "./step.ts";
export { clearTargetCache, target } from "./target.ts";
export { aptBase } from "./toolchains/install.ts";
export { PullRequestTrigger, PushTrigger, pullRequest, push, type Trigger } from "./triggers.ts";
