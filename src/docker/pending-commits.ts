/**
 * Commits the engine may still be making for a run that is over. A `docker
 * commit` goes on in the engine after hm dies (removing the container does
 * not stop it), and its image lands seconds later: after a `hm gc` that said
 * all was clean. So the docker runner marks each commit before asking for it
 * and unmarks it once the engine answered; a marker left by a dead run is a
 * commit possibly in flight. `hm gc` (and a supervisor cleaning a crashed
 * run) waits for its image and removes it if it is an ephemeral snapshot (a
 * cache entry of a passed step is kept: the cache trim then keeps one entry
 * per repository); the next `hm run` only removes what already landed.
 *
 * Markers live in `<state dir>/commits/` (0700, files 0600), one JSON file
 * per commit: the run, the owner (`<pid>@<host>`) and the target tag.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { stateDir } from "../plugins/paths.ts";
import type { Engine } from "./engine.ts";
import { EPHEMERAL_REPOSITORY } from "./names.ts";

const Marker = v.object({ run: v.string(), owner: v.string(), tag: v.string() });
type Marker = v.InferOutput<typeof Marker>;

/** A marker whose image never appeared is dropped after this long: that commit failed. */
const FORGET_AFTER_MS = 3_600_000;
const POLL_MS = 250;

function commitsDir(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), "commits");
}

/** Marks a commit about to be asked for; the returned function unmarks it once the engine answered. */
export function markCommit(marker: Marker, env: NodeJS.ProcessEnv = process.env): () => void {
  const dir = commitsDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${crypto.randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(marker), { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

function readMarkers(env: NodeJS.ProcessEnv): { file: string; marker: Marker; age: number }[] {
  const dir = commitsDir(env);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
  const markers: { file: string; marker: Marker; age: number }[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const parsed = v.safeParse(Marker, JSON.parse(readFileSync(file, "utf8")));
      const age = Date.now() - statSync(file).mtimeMs;
      if (parsed.success) markers.push({ file, marker: parsed.output, age });
      else rmSync(file, { force: true });
    } catch {
      rmSync(file, { force: true }); // half-written by a killed hm: nothing to wait for
    }
  }
  return markers;
}

async function tagExists(engine: Engine, tag: string): Promise<boolean> {
  try {
    await engine.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

/**
 * Settles the commits of runs `isOver` picks: waits up to `waitMs` for each
 * image (0: only looks), removes ephemeral ones, and forgets the marker once
 * its image landed (or it is an hour old). Returns how many images it removed.
 */
export async function settlePendingCommits(
  engine: Engine,
  isOver: (runId: string, owner: string) => boolean,
  waitMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const pending = readMarkers(env).filter(({ marker }) => isOver(marker.run, marker.owner));
  const deadline = Date.now() + waitMs;
  let removed = 0;
  while (pending.length > 0) {
    for (let i = pending.length - 1; i >= 0; i--) {
      const { file, marker, age } = pending[i] as (typeof pending)[number];
      if (await tagExists(engine, marker.tag)) {
        if (marker.tag.startsWith(`${EPHEMERAL_REPOSITORY}/`)) {
          await engine
            .getImage(marker.tag)
            .remove({ force: true })
            .catch(() => {});
          removed++;
        }
      } else if (age < FORGET_AFTER_MS) {
        continue;
      }
      rmSync(file, { force: true });
      pending.splice(i, 1);
    }
    if (pending.length === 0 || Date.now() >= deadline) break;
    await Bun.sleep(POLL_MS);
  }
  return removed;
}
