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

export async function reapEngine(engine: Engine, live: ReadonlySet<string>): Promise<EngineReap> {
  const filters = JSON.stringify({ label: [LABEL_RUN] });
  const dead = (labels: Record<string, string> | undefined) => {
    const run = labels?.[LABEL_RUN];
    return run !== undefined && run !== "" && !live.has(run);
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
