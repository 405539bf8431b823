/** What the docker runner asks of the engine about images: ids, existence, pulls, tags. */
import type { StdStream } from "../protocol/index.ts";
import type { Engine } from "./engine.ts";

/** The image's id (its content digest), or null when the engine lacks it. */
export async function imageIdOf(engine: Engine, image: string): Promise<string | null> {
  try {
    return (await engine.getImage(image).inspect()).Id;
  } catch {
    return null;
  }
}

/** Tags `tag` again: the engine records the time (`Metadata.LastTagTime`), which `hm cache ls` shows as last used. */
export async function touch(engine: Engine, tag: string): Promise<void> {
  const [repo, name] = splitTag(tag);
  await engine
    .getImage(tag)
    .tag({ repo, tag: name })
    .catch(() => {});
}

export async function imageExists(engine: Engine, image: string): Promise<boolean> {
  try {
    await engine.getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Pulls `image`, reporting progress as log lines; null on success, else why it failed. */
export async function pull(
  engine: Engine,
  image: string,
  onLog: (stream: StdStream, line: string) => void,
): Promise<string | null> {
  onLog("stderr", `hm: pulling ${image}`);
  try {
    const stream = await engine.pull(image);
    await new Promise<void>((resolve, reject) => {
      let last = "";
      engine.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : resolve()),
        (event: { status?: string; id?: string; progress?: string; error?: string }) => {
          if (event.error) reject(new Error(event.error));
          const line = [event.id, event.status].filter(Boolean).join(": ");
          // Progress bars tick many times a second: report status changes only.
          if (line !== "" && line !== last) onLog("stderr", `hm: ${line}`);
          last = line;
        },
      );
    });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export function splitTag(image: string): [string, string] {
  const colon = image.lastIndexOf(":");
  return [image.slice(0, colon), image.slice(colon + 1)];
}

/** Older cache images of the same step key (same repository, another tag). */
export async function evictStale(engine: Engine, repo: string, keep: string): Promise<void> {
  const images = await engine.listImages({ filters: JSON.stringify({ reference: [`${repo}:*`] }) });
  for (const image of images)
    for (const tag of image.RepoTags ?? [])
      if (tag.startsWith(`${repo}:`) && tag !== `${repo}:${keep}`)
        await engine
          .getImage(tag)
          .remove()
          .catch(() => {});
}
