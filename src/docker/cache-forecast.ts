/**
 * What the step cache would answer, asked without changing anything (`hm run
 * --dry-run`, `docs/design.md`, "A part of the pipeline"). It follows the
 * executor's lookup (`docker-executor.ts`, `cacheLookup`) step for step but
 * only inspects: no pull, no workspace image, no container, and no re-tag of
 * a hit (a real lookup re-tags to record the use).
 *
 * An entry stands for the step's definition and its parent's entry, down to
 * the root's image id (`cache-entry.ts`), never for what a parent's run
 * produced. So a child's answer is known before its parent runs, cached or
 * not, as long as the root image's id is known: a root image not yet on the
 * engine makes the root a miss (a real run pulls it, then builds) and every
 * step below it unknown.
 */
import { projectIdentity } from "../pipeline/project-identity.ts";
import type { CacheForecast, CacheRequest } from "../runner/contract.ts";
import { EntryFingerprints, wantsCache } from "./cache-entry.ts";
import type { Engine } from "./engine.ts";
import { imageExists, imageIdOf } from "./images.ts";
import { cacheTag, DEFAULT_IMAGE } from "./names.ts";

/** `requests`: the steps the docker runner would run, every parent before its children. */
export async function forecastCache(
  engine: Engine,
  projectRoot: string,
  requests: readonly CacheRequest[],
): Promise<CacheForecast[]> {
  let projectId: Promise<string> | null = null;
  const identity = () => {
    projectId ??= projectIdentity(projectRoot).then((p) => p.id);
    return projectId;
  };
  const fingerprints = new EntryFingerprints(identity, "docker");
  /** Steps whose entry waits on an image the run would pull first: the image, by step key. */
  const waitsForPull = new Map<string, string>();
  const forecasts: CacheForecast[] = [];
  for (const request of requests) {
    const { step, parentKey } = request;
    const pending = parentKey === null ? undefined : waitsForPull.get(parentKey);
    if (pending !== undefined) {
      waitsForPull.set(step.key, pending);
      forecasts.push(
        wantsCache(step)
          ? { kind: "unknown", reason: `depends on image '${pending}', which the run pulls first` }
          : noPolicy(),
      );
      continue;
    }
    const image = step.image ?? DEFAULT_IMAGE;
    const imageId = parentKey === null ? await imageIdOf(engine, image) : null;
    if (parentKey === null && imageId === null) {
      waitsForPull.set(step.key, image);
      forecasts.push(
        wantsCache(step)
          ? {
              kind: "miss",
              tag: null,
              reason: `image '${image}' is not on the engine: the run pulls it first`,
            }
          : noPolicy(),
      );
      continue;
    }
    const fingerprint = await fingerprints.of(request, imageId);
    if (!wantsCache(step)) forecasts.push(noPolicy());
    else if (fingerprint === null)
      forecasts.push({ kind: "uncached", reason: "its parent runs on another runner" });
    else {
      const tag = cacheTag(await identity(), step.key, fingerprint);
      forecasts.push(
        (await imageExists(engine, tag)) ? { kind: "hit", tag } : { kind: "miss", tag, reason: "no entry" },
      );
    }
  }
  return forecasts;
}

function noPolicy(): CacheForecast {
  return { kind: "uncached", reason: "no cache policy" };
}
