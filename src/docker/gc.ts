/**
 * What dead runs left in the engine: containers and ephemeral images carrying
 * a run id whose hm process is gone (`docs/design.md`, "A verdict only from a finished build"), including the image
 * of a commit the engine finished after hm died (pending-commits.ts), and
 * the old entry a run killed between caching and eviction left beside the
 * new one (one entry per cache repository: the most recently used stays).
 * Other cache images are kept (`hm cache clean` removes those); nothing
 * without hm's names or labels is touched.
 */

import { hostname } from "node:os";
import { processRunning } from "../process-alive.ts";
import type { Engine } from "./engine.ts";
import { EPHEMERAL_REPOSITORY, LABEL_OWNER, LABEL_RUN, parseCacheTag } from "./names.ts";
import { settlePendingCommits } from "./pending-commits.ts";

export interface EngineReap {
  containers: number;
  /** Ephemeral images of dead runs, those of commits that landed late included. */
  images: number;
  /** Cache entries that a newer one of the same repository had replaced. */
  staleCacheEntries: number;
}

/** How long `hm gc` waits for a dead run's commit still in flight (a large layer takes a while). */
export const COMMIT_WAIT_MS = 60_000;

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

/**
 * Leftovers of runs that are over: not in `live`, and their hm process gone.
 * `commitWaitMs`: how long to wait for their commits still in flight (`hm
 * run` passes 0: it only removes what landed, the next reaper the rest).
 */
export async function reapEngine(
  engine: Engine,
  live: ReadonlySet<string>,
  commitWaitMs = COMMIT_WAIT_MS,
): Promise<EngineReap> {
  const isOver = (runId: string, owner: string | undefined) => !live.has(runId) && !ownerAlive(owner);
  const reaped = await removeRunLeftovers(engine, (runId, labels) => isOver(runId, labels[LABEL_OWNER]));
  const late = await settlePendingCommits(engine, isOver, commitWaitMs);
  return { ...reaped, images: reaped.images + late, staleCacheEntries: await trimCacheRepositories(engine) };
}

/**
 * What one run left, known to be over (its supervisor saw it die): its
 * containers and ephemeral images, the image of a commit that lands within
 * `commitWaitMs`, and the entry its death left beside a newer one.
 */
export async function reapOneRun(engine: Engine, runId: string, commitWaitMs: number): Promise<EngineReap> {
  const isRun = (id: string) => id === runId;
  const reaped = await removeRunLeftovers(engine, isRun, runId);
  const late = await settlePendingCommits(engine, isRun, commitWaitMs);
  return { ...reaped, images: reaped.images + late, staleCacheEntries: await trimCacheRepositories(engine) };
}

/**
 * Keeps one entry per cache repository `hm-cache/<project>/<step>`: the most
 * recently used (hm re-tags an entry on every hit), as the run that made the
 * newer one would have done had it not been killed before its eviction.
 */
export async function trimCacheRepositories(engine: Engine): Promise<number> {
  const byRepository = new Map<string, { tag: string; created: number }[]>();
  for (const image of await engine.listImages()) {
    for (const tag of image.RepoTags ?? []) {
      const parsed = parseCacheTag(tag);
      if (parsed === null) continue;
      const repository = tag.slice(0, tag.lastIndexOf(":"));
      const entries = byRepository.get(repository) ?? [];
      entries.push({ tag, created: image.Created });
      byRepository.set(repository, entries);
    }
  }
  let removed = 0;
  for (const entries of byRepository.values()) {
    if (entries.length < 2) continue;
    const used = await Promise.all(entries.map(async (e) => ({ ...e, at: await lastTagged(engine, e) })));
    used.sort((a, b) => b.at - a.at);
    for (const stale of used.slice(1)) {
      await engine
        .getImage(stale.tag)
        .remove()
        .then(() => removed++)
        .catch(() => {});
    }
  }
  return removed;
}

/** Milliseconds: the engine's last tag time of the entry, else its creation. */
async function lastTagged(engine: Engine, entry: { tag: string; created: number }): Promise<number> {
  try {
    const info = (await engine.getImage(entry.tag).inspect()) as { Metadata?: { LastTagTime?: string } };
    const tagged = Date.parse(info.Metadata?.LastTagTime ?? "");
    return Number.isFinite(tagged) ? Math.max(tagged, entry.created * 1000) : entry.created * 1000;
  } catch {
    return entry.created * 1000;
  }
}

/**
 * Containers and ephemeral images of the runs `isOver` picks (by their run
 * label); `runId` narrows the listing to one run.
 */
export async function removeRunLeftovers(
  engine: Engine,
  isOver: (runId: string, labels: Record<string, string>) => boolean,
  runId?: string,
): Promise<Omit<EngineReap, "staleCacheEntries">> {
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
