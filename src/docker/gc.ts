/**
 * What dead runs left in the engine: containers and ephemeral images carrying
 * a run id whose hm process is gone (`decisions.md` §7). Cache images are
 * kept (`hm cache clean` removes those); nothing without hm's label is touched.
 */

import { hostname } from "node:os";
import { processRunning } from "../run/process-groups.ts";
import type { Engine } from "./engine.ts";
import { EPHEMERAL_REPOSITORY, LABEL_OWNER, LABEL_RUN } from "./names.ts";

export interface EngineReap {
  containers: number;
  images: number;
}

/** `<pid>@<hostname>` of this process, put on everything it creates. */
export function ownerLabel(): string {
  return `${process.pid}@${hostname()}`;
}

/**
 * Whether the hm that created something (by its owner label) is still
 * running: a run recorded under another state directory (another user's
 * shell, a test, a benchmark) is unknown to `live` but must not be reaped.
 * Only a process on this host can be checked; one on another host sharing
 * the engine is assumed alive.
 */
function ownerAlive(owner: string | undefined): boolean {
  const match = /^(\d+)@(.*)$/.exec(owner ?? "");
  if (match === null) return false;
  return match[2] !== hostname() || processRunning(Number(match[1]));
}

/** Leftovers of runs that are over: not in `live`, and their hm process gone. */
export function reapEngine(engine: Engine, live: ReadonlySet<string>): Promise<EngineReap> {
  return removeRunLeftovers(engine, (runId, labels) => !live.has(runId) && !ownerAlive(labels[LABEL_OWNER]));
}

/**
 * Containers and ephemeral images of the runs `isOver` picks (by their run
 * label); `runId` narrows the listing to one run.
 */
export async function removeRunLeftovers(
  engine: Engine,
  isOver: (runId: string, labels: Record<string, string>) => boolean,
  runId?: string,
): Promise<EngineReap> {
  const filters = JSON.stringify({ label: [runId === undefined ? LABEL_RUN : `${LABEL_RUN}=${runId}`] });
  const dead = (labels: Record<string, string> | undefined) => {
    const run = labels?.[LABEL_RUN];
    return run !== undefined && run !== "" && labels !== undefined && isOver(run, labels);
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
