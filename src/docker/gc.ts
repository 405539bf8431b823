/**
 * What dead runs left in the engine: containers and ephemeral images carrying
 * a run id whose hm process is gone (`decisions.md` §7). Cache images are
 * kept (`hm cache clean` removes those); nothing without hm's label is touched.
 */
import type { Engine } from "./engine.ts";
import { EPHEMERAL_REPOSITORY, LABEL_RUN } from "./names.ts";

export interface EngineReap {
  containers: number;
  images: number;
}

/** Leftovers of runs that are over: every run not in `live`. */
export function reapEngine(engine: Engine, live: ReadonlySet<string>): Promise<EngineReap> {
  return removeRunLeftovers(engine, (runId) => !live.has(runId));
}

/**
 * Containers and ephemeral images of the runs `isOver` picks (by their run
 * label); `runId` narrows the listing to one run.
 */
export async function removeRunLeftovers(
  engine: Engine,
  isOver: (runId: string) => boolean,
  runId?: string,
): Promise<EngineReap> {
  const filters = JSON.stringify({ label: [runId === undefined ? LABEL_RUN : `${LABEL_RUN}=${runId}`] });
  const dead = (labels: Record<string, string> | undefined) => {
    const run = labels?.[LABEL_RUN];
    return run !== undefined && run !== "" && isOver(run);
  };
  let containers = 0;
  for (const c of await engine.listContainers({ all: true, filters })) {
    if (!dead(c.Labels)) continue;
    await engine
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => {});
    containers++;
  }
  let images = 0;
  for (const image of await engine.listImages({ filters })) {
    if (!dead(image.Labels)) continue;
    for (const tag of image.RepoTags ?? []) {
      if (!tag.startsWith(`${EPHEMERAL_REPOSITORY}/`)) continue;
      await engine
        .getImage(tag)
        .remove({ force: true })
        .catch(() => {});
      images++;
    }
  }
  return { containers, images };
}
