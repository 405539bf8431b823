/**
 * The built-in `docker` runner (README). Per step:
 * 1. image: the cache-hit tag (decided by the host before the step), else
 *    the builds_in parent's snapshot, else the step's image, else ubuntu:24.04;
 *    pulled with progress when missing;
 * 2. a container labelled with the run id and step key, created (not started)
 *    with `sh -c <prelude; cmd>`, the merged env and `/workspace`;
 * 3. the workspace archive put into `/workspace` through the engine's archive
 *    API (no tar needed in the image), with the listing of what it holds in
 *    `/.hm/listing`; for a child of a snapshot, the paths the parent's listing
 *    had and this one lacks go to `/.hm/delete`, which the prelude removes, so
 *    a file deleted from the working tree does not linger (tracked deletion);
 * 4. attach, start, stream stdout/stderr line by line, wait;
 * 5. on success, commit when a builds_in child or the cache needs it
 *    (cache tag, else an ephemeral tag removed at the end of the run); a step
 *    stopped by a cancel or a timeout is never committed, and a cache tag
 *    committed while it was being stopped is removed again;
 * 6. the container is always removed; cancel kills it at once (exit 130).
 * Cache entries belong to a project and to what the step runs (cache-entry.ts).
 */
import type { Readable } from "node:stream";
import { messageOf } from "../errors.ts";
import { type ProjectIdentity, projectIdentity } from "../pipeline/project-identity.ts";
import type { StdStream, StepResult } from "../protocol/index.ts";
import type {
  CacheDecision,
  CacheRequest,
  Executor,
  RunContext,
  StepExecution,
  StepHints,
} from "../runner/contract.ts";
import { entryFingerprint, wantsCache } from "./cache-entry.ts";
import { StreamDemuxer } from "./demux.ts";
import { type Engine, engineAddress } from "./engine.ts";
import { ownerLabel, removeRunLeftovers } from "./gc.ts";
import { LineSplitter } from "./lines.ts";
import { firstFileOf, miniTar } from "./mini-tar.ts";
import {
  cacheTag,
  containerName,
  DEFAULT_IMAGE,
  ephemeralTag,
  LABEL_CACHE_KEY,
  LABEL_OWNER,
  LABEL_PROJECT,
  LABEL_PROJECT_ROOT,
  LABEL_RUN,
  LABEL_STEP,
} from "./names.ts";
import { markCommit } from "./pending-commits.ts";

/** The run (its project's root scopes the step cache) and the engine it runs on. */
export interface DockerRunContext extends RunContext {
  readonly engine: Engine;
}

/** Runs before the step's command: removes what the previous listing had and this one lacks. */
const PRELUDE = [
  "if [ -f /.hm/delete ]; then",
  '  while IFS= read -r hm_path; do rm -rf "/workspace/$hm_path"; done < /.hm/delete',
  "  rm -f /.hm/delete; unset hm_path",
  "fi",
  "cd /workspace || exit 125",
].join("\n");

/** Exit code of a step whose container could not be set up (as `docker run` reports its own failures). */
const SETUP_FAILED = 125;

export interface DockerExecutor extends Executor {
  /** Removes this run's ephemeral images and any container left; call once at the end of the run. */
  finish(): Promise<void>;
}

export function dockerExecutor(context: DockerRunContext): DockerExecutor {
  const { engine } = context;
  const listing = `${context.archivePaths.filter((p) => !p.includes("\n")).join("\n")}\n`;
  const listed = new Set(context.archivePaths);
  let project: Promise<ProjectIdentity> | null = null;
  const identity = () => {
    project ??= projectIdentity(context.projectRoot);
    return project;
  };
  /** Each step's request, and its entry fingerprint once known (a root's needs its image's id). */
  const requests = new Map<string, CacheRequest>();
  const fingerprints = new Map<string, string>();

  /** The step's entry fingerprint, or null when it cannot have one (its parent ran on another runner). */
  const fingerprintOf = async (request: CacheRequest, imageId: string | null): Promise<string | null> => {
    const parentFingerprint = request.parentKey === null ? null : fingerprints.get(request.parentKey);
    if (parentFingerprint === undefined) return null;
    const fingerprint = entryFingerprint({
      projectId: (await identity()).id,
      step: request.step,
      env: request.env,
      runner: "docker",
      imageId: request.parentKey === null ? imageId : null,
      parentFingerprint,
    });
    fingerprints.set(request.step.key, fingerprint);
    return fingerprint;
  };

  return {
    name: "docker",

    async cacheLookup(request): Promise<CacheDecision> {
      requests.set(request.step.key, request);
      // A root step whose image is missing has no id yet: its fingerprint is settled after the pull.
      const imageId = request.parentKey === null ? await imageIdOf(engine, rootImage(request)) : null;
      const fingerprint = await fingerprintOf(request, imageId);
      if (!wantsCache(request.step) || fingerprint === null) return { kind: "miss_no_commit" };
      const tag = cacheTag((await identity()).id, request.step.key, fingerprint);
      if (imageId === null && request.parentKey === null) return { kind: "miss_build_as", tag };
      if (!(await imageExists(engine, tag))) return { kind: "miss_build_as", tag };
      await touch(engine, tag);
      return { kind: "hit", tag };
    },

    execute(input, onLog, hints?: StepHints): StepExecution {
      let cancelled = false;
      let stop: (() => void) | null = null;
      const run = async (): Promise<StepResult> => {
        const lookup = input.cache_lookup;
        if (lookup.kind === "hit") return stepResult(0, lookup.tag);
        const image = input.parent_snapshot ?? input.step.image ?? DEFAULT_IMAGE;
        const fail = (message: string): StepResult => {
          onLog("stderr", `hm: ${message}`);
          return stepResult(SETUP_FAILED, null);
        };
        let cacheTarget = lookup.kind === "miss_build_as" ? lookup.tag : null;
        if (!(await imageExists(engine, image))) {
          const pulled = await pull(engine, image, onLog);
          if (pulled !== null) return fail(`cannot pull image '${image}': ${pulled}`);
          // The entry of a root step includes its image's id, known only now.
          const request = requests.get(input.step.key);
          if (request !== undefined && input.parent_snapshot === null) {
            const fingerprint = await fingerprintOf(request, await imageIdOf(engine, image));
            if (cacheTarget !== null && fingerprint !== null)
              cacheTarget = cacheTag((await identity()).id, input.step.key, fingerprint);
          }
        }
        if (cancelled) return stepResult(130, null);
        const cacheLabels: Record<string, string> =
          cacheTarget === null
            ? {}
            : {
                [LABEL_PROJECT]: (await identity()).id,
                [LABEL_PROJECT_ROOT]: context.projectRoot,
                [LABEL_CACHE_KEY]: input.step.cache?.key ?? "",
              };
        const container = await engine.createContainer({
          name: containerName(input.run_id, input.step.key, input.step_id),
          Image: image,
          Cmd: ["sh", "-c", `${PRELUDE}\n${input.step.cmd}`],
          Env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
          WorkingDir: "/",
          Labels: {
            [LABEL_RUN]: input.run_id,
            [LABEL_STEP]: input.step.key,
            [LABEL_OWNER]: ownerLabel(),
            ...cacheLabels,
          },
          Tty: false,
          AttachStdout: true,
          AttachStderr: true,
        });
        stop = () => void container.kill().catch(() => {});
        try {
          const deletions =
            input.parent_snapshot === null
              ? []
              : (await previousListing(container)).filter((path) => path !== "" && !listed.has(path));
          await container.putArchive(
            Buffer.from(
              miniTar([
                { name: "workspace/" },
                { name: ".hm/" },
                { name: ".hm/listing", content: listing },
                ...(deletions.length > 0
                  ? [{ name: ".hm/delete", content: `${deletions.join("\n")}\n` }]
                  : []),
              ]),
            ),
            { path: "/" },
          );
          await container.putArchive(context.archivePath, { path: "/workspace" });
          if (cancelled) return stepResult(130, null);
          const output = await container.attach({ stream: true, stdout: true, stderr: true });
          const ended = streamLines(output, onLog);
          await container.start();
          if (cancelled) await container.kill().catch(() => {});
          const { StatusCode } = (await container.wait()) as { StatusCode: number };
          await ended;
          if (cancelled) return stepResult(130, null);
          if (StatusCode !== 0) return stepResult(StatusCode, null);
          const target =
            cacheTarget ?? (hints?.snapshotNeeded ? ephemeralTag(input.step.key, input.step_id) : null);
          if (target === null) return stepResult(0, null);
          const [repo, tag] = splitTag(target);
          // The image inherits the container's labels: a cache image outlives the run, so it drops the run's.
          // Marked while the engine works on it: if hm dies meanwhile, the reaper waits for the image.
          const unmark = markCommit({ run: input.run_id, owner: ownerLabel(), tag: target });
          try {
            await container.commit(
              cacheTarget !== null ? { repo, tag, changes: [`LABEL ${LABEL_RUN}=`] } : { repo, tag },
            );
          } finally {
            unmark();
          }
          if (cancelled) {
            // Stopped (cancel or timeout) while committing: what it left must not become a cache entry.
            if (cacheTarget !== null)
              await engine
                .getImage(target)
                .remove()
                .catch(() => {});
            return stepResult(130, null);
          }
          if (cacheTarget !== null) await evictStale(engine, repo, tag);
          return stepResult(0, target);
        } finally {
          stop = null;
          await container.remove({ force: true, v: true }).catch(() => {});
        }
      };
      // An engine error names the runner, the step and the engine, since the user did not call Docker directly.
      const result = run().catch((error: unknown) => {
        throw new Error(
          `docker runner, step '${input.step.key}' (engine at ${engineAddress()}): ${messageOf(error)}`,
        );
      });
      return {
        result,
        cancel() {
          cancelled = true;
          stop?.();
        },
      };
    },

    async finish() {
      await removeRunLeftovers(engine, (runId) => runId === context.runId, context.runId);
    },
  };
}

function stepResult(exitCode: number, snapshot: string | null): StepResult {
  return { exit_code: exitCode, committed_snapshot: snapshot, artifacts: [] };
}

function rootImage(request: CacheRequest): string {
  return request.step.image ?? DEFAULT_IMAGE;
}

/** The image's id (its content digest), or null when the engine lacks it. */
async function imageIdOf(engine: Engine, image: string): Promise<string | null> {
  try {
    return (await engine.getImage(image).inspect()).Id;
  } catch {
    return null;
  }
}

/** Tags `tag` again: the engine records the time (`Metadata.LastTagTime`), which `hm cache ls` shows as last used. */
async function touch(engine: Engine, tag: string): Promise<void> {
  const [repo, name] = splitTag(tag);
  await engine
    .getImage(tag)
    .tag({ repo, tag: name })
    .catch(() => {});
}

async function imageExists(engine: Engine, image: string): Promise<boolean> {
  try {
    await engine.getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Pulls `image`, reporting progress as log lines; null on success, else why it failed. */
async function pull(
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

/** The listing a snapshot was extracted with, or nothing when the image has none. */
async function previousListing(container: {
  getArchive(o: { path: string }): Promise<NodeJS.ReadableStream>;
}): Promise<string[]> {
  try {
    const stream = await container.getArchive({ path: "/.hm/listing" });
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const content = firstFileOf(new Uint8Array(Buffer.concat(chunks)));
    return content === null ? [] : new TextDecoder().decode(content).split("\n");
  } catch {
    return [];
  }
}

function streamLines(
  output: NodeJS.ReadableStream,
  onLog: (stream: StdStream, line: string) => void,
): Promise<void> {
  const splitters = {
    stdout: new LineSplitter((line) => onLog("stdout", line)),
    stderr: new LineSplitter((line) => onLog("stderr", line)),
  };
  const demuxer = new StreamDemuxer((stream, payload) => splitters[stream].push(payload));
  return new Promise<void>((resolve) => {
    const readable = output as Readable;
    readable.on("data", (chunk: Buffer) =>
      demuxer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)),
    );
    const done = () => {
      splitters.stdout.end();
      splitters.stderr.end();
      resolve();
    };
    readable.once("end", done);
    readable.once("close", done);
    readable.once("error", done);
  }).then(() => {});
}

function splitTag(image: string): [string, string] {
  const colon = image.lastIndexOf(":");
  return [image.slice(0, colon), image.slice(colon + 1)];
}

/** Older cache images of the same step key (same repository, another tag). */
async function evictStale(engine: Engine, repo: string, keep: string): Promise<void> {
  const images = await engine.listImages({ filters: JSON.stringify({ reference: [`${repo}:*`] }) });
  for (const image of images)
    for (const tag of image.RepoTags ?? [])
      if (tag.startsWith(`${repo}:`) && tag !== `${repo}:${keep}`)
        await engine
          .getImage(tag)
          .remove()
          .catch(() => {});
}
