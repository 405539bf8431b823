/**
 * Names and labels of what hm creates in the engine. Every container and
 * ephemeral image carries the run id, so a dead run's leftovers can be found
 * (`hm gc`); cache images live under one repository prefix that `hm run` and
 * `hm cache` share, one repository per project and step:
 * `hm-cache/<project id>/<step>:<entry>` (`docs/design.md`, "The step cache").
 */
export const LABEL_RUN = "dev.hm.run";
export const LABEL_STEP = "dev.hm.step";
/** The hm process that owns a container or snapshot, as `<pid>@<hostname>`: runs recorded under another state directory are told apart by it. */
export const LABEL_OWNER = "dev.hm.owner";
/** The project a cache image belongs to (its 16-hex identity), and that project's root when it was made. */
export const LABEL_PROJECT = "dev.hm.project";
export const LABEL_PROJECT_ROOT = "dev.hm.project.root";
/** The SDK's cache key of the step a cache image holds. */
export const LABEL_CACHE_KEY = "dev.hm.cache.key";
export const CACHE_REPOSITORY = "hm-cache";
export const EPHEMERAL_REPOSITORY = "hm-ephemeral";
export const DEFAULT_IMAGE = "ubuntu:24.04";

/** A step key as one component of an image repository: lowercase [a-z0-9-], alphanumeric at both ends. */
export function repositoryComponent(key: string): string {
  const cleaned = key
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return cleaned === "" ? "step" : cleaned.slice(0, 100);
}

/** `hm-cache/<project id>/<step>`: one project's entries of one step (eviction stays inside it). */
export function cacheRepository(projectId: string, stepKey: string): string {
  return `${CACHE_REPOSITORY}/${projectId}/${repositoryComponent(stepKey)}`;
}

/** `hm-cache/<project id>/<step>:<first 16 hex digits of the entry fingerprint>`. */
export function cacheTag(projectId: string, stepKey: string, fingerprint: string): string {
  return `${cacheRepository(projectId, stepKey)}:${fingerprint.slice(0, 16)}`;
}

/** A cache tag's parts, or null for a name that is not one (e.g. an earlier hm's `hm-cache/<step>:<key>`). */
export function parseCacheTag(tag: string): { projectId: string; step: string; entry: string } | null {
  const match = /^hm-cache\/([0-9a-f]{16})\/([a-z0-9][a-z0-9_-]*):([0-9a-f]{16})$/.exec(tag);
  return match === null ? null : { projectId: match[1] ?? "", step: match[2] ?? "", entry: match[3] ?? "" };
}

export function ephemeralTag(stepKey: string, stepId: string): string {
  return `${EPHEMERAL_REPOSITORY}/${repositoryComponent(stepKey)}:${stepId.replaceAll("-", "")}`;
}

export function containerName(runId: string, stepKey: string, stepId: string): string {
  return `hm-${runId.slice(0, 8)}-${repositoryComponent(stepKey)}-${stepId.slice(0, 8)}`;
}
