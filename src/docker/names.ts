/**
 * Names and labels of what hm creates in the engine. Every container and
 * ephemeral image carries the run id, so a dead run's leftovers can be found
 * (`hm gc`); cache images live under one repository prefix that `hm run` and
 * `hm cache` share.
 */
export const LABEL_RUN = "dev.hm.run";
export const LABEL_STEP = "dev.hm.step";
/** The hm process that owns a container or snapshot, as `<pid>@<hostname>`: runs recorded under another state directory are told apart by it. */
export const LABEL_OWNER = "dev.hm.owner";
export const CACHE_REPOSITORY = "hm-cache";
export const EPHEMERAL_REPOSITORY = "hm-ephemeral";
export const DEFAULT_IMAGE = "ubuntu:24.04";

/** Runners hm provides itself; a plugin claiming one conflicts. `docker` is also the default runner. */
export const BUILTIN_RUNNERS = ["docker"] as const;

/** A step key as one component of an image repository: lowercase [a-z0-9-], alphanumeric at both ends. */
export function repositoryComponent(key: string): string {
  const cleaned = key
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return cleaned === "" ? "step" : cleaned.slice(0, 100);
}

/** `hm-cache/<key>:<first 16 characters of the cache key>` (reference §5.4). */
export function cacheTag(stepKey: string, cacheKey: string): string {
  return `${CACHE_REPOSITORY}/${repositoryComponent(stepKey)}:${cacheKey
    .slice(0, 16)
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, "-")}`;
}

export function ephemeralTag(stepKey: string, stepId: string): string {
  return `${EPHEMERAL_REPOSITORY}/${repositoryComponent(stepKey)}:${stepId.replaceAll("-", "")}`;
}

export function containerName(runId: string, stepKey: string, stepId: string): string {
  return `hm-${runId.slice(0, 8)}-${repositoryComponent(stepKey)}-${stepId.slice(0, 8)}`;
}
