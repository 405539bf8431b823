/**
 * The built-in `docker` runner (`docs/design.md`, "The docker runner"). A
 * step runs as `docker exec sh -c <prelude; cmd>` (its env given to that
 * exec only) in a container that stays up for its chain:
 * 1. image: a root step's is its workspace image (the step's image, else
 *    ubuntu:24.04, pulled with progress when missing, plus a layer holding
 *    the working tree: workspace-image.ts); a builds_in child's is its
 *    parent's snapshot, or the parent's container itself when the parent
 *    handed it over (its first builds_in child takes it, no commit); a cache
 *    hit ends the step with the entry's tag;
 * 2. a child first gets back the tree's files its ancestors changed or
 *    deleted, and loses what the working tree no longer has
 *    (workspace-restore.ts); everything else, build outputs included, is as
 *    the parent left it;
 * 3. output is streamed line by line; the exit code is the exec's;
 * 4. on success: committed to the cache tag when the step is cached, to an
 *    ephemeral tag when two or more builds_in children need the snapshot,
 *    with `/.hm/state` saying which tree it holds and which paths may
 *    differ; the container goes to the first child, or is removed;
 * 5. a step stopped by a cancel or a timeout kills its container (exit 130)
 *    and is never committed; a cache tag committed while it was being
 *    stopped is removed again. Every container is removed by the end of the run.
 * Cache entries belong to a project and to what the step runs (cache-entry.ts).
 */
import { dirname } from "node:path";
import type { Readable } from "node:stream";
import type { Container } from "dockerode";
import * as v from "valibot";
import { messageOf } from "../errors.ts";
import { type ProjectIdentity, projectIdentity } from "../pipeline/project-identity.ts";
import type { ExecutorInput, StdStream, StepResult } from "../protocol/index.ts";
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
import { ensureWorkspaceImage, readTreeIndex } from "./workspace-image.ts";
import { cleanState, type ImageState, ImageStateSchema, listingOf } from "./workspace-layer.ts";
import {
  type ContainerChange,
  dirtyPaths,
  mergeDirty,
  planRestore,
  restoreArchive,
} from "./workspace-restore.ts";
import { readWorkspaceTree, type WorkspaceTree } from "./workspace-tree.ts";

/** The run (its project's root scopes the step cache) and the engine it runs on. */
export interface DockerRunContext extends RunContext {
  readonly engine: Engine;
}

/**
 * Runs before the step's command: removes what the working tree no longer
 * has, and any process an earlier step of the chain left running (a child
 * from a snapshot has none: this makes a handed-over container the same).
 */
const PRELUDE = [
  "kill -KILL -1 2>/dev/null",
  "if [ -f /.hm/delete ]; then",
  '  while IFS= read -r hm_path; do rm -rf "/workspace/$hm_path"; done < /.hm/delete',
  "  rm -f /.hm/delete; unset hm_path",
  "fi",
  "cd /workspace || exit 125",
].join("\n");

/** The container's own process: waits on a stdin nobody writes to, so it needs nothing from the image but `sh`. */
const KEEP_ALIVE = ["sh", "-c", "read hm_wait"];

/** Exit code of a step whose container could not be set up (as `docker run` reports its own failures). */
const SETUP_FAILED = 125;

/** A snapshot that is a live container handed to the only builds_in child, not an image. */
const HELD_PREFIX = "hm-held/";

export interface DockerExecutor extends Executor {
  /** Removes this run's ephemeral images and any container left; call once at the end of the run. */
  finish(): Promise<void>;
}

/** A step's container, and the state of the image it was made from. */
interface Box {
  readonly container: Container;
  readonly imageState: ImageState | null;
}

export function dockerExecutor(context: DockerRunContext): DockerExecutor {
  const { engine } = context;
  let project: Promise<ProjectIdentity> | null = null;
  const identity = () => {
    project ??= projectIdentity(context.projectRoot);
    return project;
  };
  let treeRead: WorkspaceTree | null = null;
  const tree = () => {
    treeRead ??= readWorkspaceTree(context.archivePath);
    return treeRead;
  };
  /** Workspace image tags by base image id, made once per run. */
  const workspaceImages = new Map<string, Promise<string>>();
  /** Containers handed over, by the snapshot name their children were given; the first child takes one. */
  const held = new Map<string, Box>();
  /** The `/.hm/state` of images this run committed, so their children need not read it back. */
  const knownStates = new Map<string, ImageState>();
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

  const workspaceImageOf = (baseId: string): Promise<string> => {
    let made = workspaceImages.get(baseId);
    if (made === undefined) {
      made = identity().then((id) =>
        ensureWorkspaceImage(engine, {
          projectId: id.id,
          baseId,
          tree: tree(),
          scratchDir: dirname(context.archivePath),
        }),
      );
      workspaceImages.set(baseId, made);
    }
    return made;
  };

  /** Creates and starts a container of the run; the step's command runs in it through exec. */
  const startBox = async (
    image: string,
    input: ExecutorInput,
    labels: Record<string, string>,
  ): Promise<Container> => {
    const container = await engine.createContainer({
      name: containerName(input.run_id, input.step.key, input.step_id),
      Image: image,
      Entrypoint: [""],
      Cmd: KEEP_ALIVE,
      OpenStdin: true,
      WorkingDir: "/",
      Labels: {
        [LABEL_RUN]: input.run_id,
        [LABEL_STEP]: input.step.key,
        [LABEL_OWNER]: ownerLabel(),
        ...labels,
      },
      Tty: false,
    });
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true, v: true }).catch(() => {});
      throw error;
    }
    return container;
  };

  /** Puts back what the child must see as the working tree has it (workspace-restore.ts). */
  const restore = async (box: Box, changes: readonly ContainerChange[]): Promise<void> => {
    const current = tree();
    const state = box.imageState;
    const olderIndex =
      state === null || state.tree === current.id ? null : readTreeIndex((await identity()).id, state.tree);
    const plan = await planRestore(current, state, changes, olderIndex, () => imageListing(box.container));
    const meta = [
      { name: ".hm/" },
      ...(plan.deletions.length > 0
        ? [{ name: ".hm/delete", content: `${plan.deletions.join("\n")}\n` }]
        : []),
      ...(state?.tree === current.id ? [] : [{ name: ".hm/listing", content: listingOf(current) }]),
    ];
    if (plan.kind === "full") await box.container.putArchive(context.archivePath, { path: "/workspace" });
    else if (plan.entries.length > 0)
      await box.container.putArchive(Buffer.from(restoreArchive(current, plan.entries)), {
        path: "/workspace",
      });
    if (meta.length > 1) await box.container.putArchive(Buffer.from(miniTar(meta)), { path: "/" });
  };

  /** Saves which tree the container holds and what may differ from it, for the children of its commit. */
  const recordState = async (box: Box): Promise<ImageState> => {
    const current = tree();
    const changed = dirtyPaths(current, await changesOf(box.container));
    const state: ImageState = {
      tree: current.id,
      ...(box.imageState === null ? changed : mergeDirty(box.imageState, changed)),
    };
    await box.container.putArchive(
      Buffer.from(miniTar([{ name: ".hm/" }, { name: ".hm/state", content: JSON.stringify(state) }])),
      { path: "/" },
    );
    return state;
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
        const parent = input.parent_snapshot;
        // The only child needs no container of its parent's when it is a cache hit.
        const handed = parent === null ? undefined : held.get(parent);
        if (parent?.startsWith(HELD_PREFIX)) held.delete(parent);
        if (lookup.kind === "hit") {
          if (handed !== undefined && parent?.startsWith(HELD_PREFIX)) await removeBox(handed);
          return stepResult(0, lookup.tag);
        }
        if (handed !== undefined && parent !== null) held.delete(parent);
        const fail = (message: string): StepResult => {
          onLog("stderr", `hm: ${message}`);
          return stepResult(SETUP_FAILED, null);
        };
        let cacheTarget = lookup.kind === "miss_build_as" ? lookup.tag : null;
        let box: Box;
        if (handed !== undefined) box = handed;
        else if (parent?.startsWith(HELD_PREFIX)) {
          return fail(`the container of this step's parent is gone (${parent})`);
        } else {
          let image = parent ?? input.step.image ?? DEFAULT_IMAGE;
          if (parent === null) {
            if (!(await imageExists(engine, image))) {
              const pulled = await pull(engine, image, onLog);
              if (pulled !== null) return fail(`cannot pull image '${image}': ${pulled}`);
              // The entry of a root step includes its image's id, known only now.
              const request = requests.get(input.step.key);
              if (request !== undefined) {
                const fingerprint = await fingerprintOf(request, await imageIdOf(engine, image));
                if (cacheTarget !== null && fingerprint !== null)
                  cacheTarget = cacheTag((await identity()).id, input.step.key, fingerprint);
              }
            }
            const baseId = await imageIdOf(engine, image);
            if (baseId === null) return fail(`image '${image}' vanished from the engine`);
            image = await workspaceImageOf(baseId);
          }
          if (cancelled) return stepResult(130, null);
          const labels: Record<string, string> =
            cacheTarget === null
              ? {}
              : {
                  [LABEL_PROJECT]: (await identity()).id,
                  [LABEL_PROJECT_ROOT]: context.projectRoot,
                  [LABEL_CACHE_KEY]: input.step.cache?.key ?? "",
                };
          const container = await startBox(image, input, labels);
          const imageState =
            parent === null ? cleanState(tree().id) : (knownStates.get(parent) ?? (await stateOf(container)));
          box = { container, imageState };
        }
        stop = () => void box.container.kill().catch(() => {});
        let keep = false;
        try {
          if (cancelled) return stepResult(130, null);
          if (parent !== null) await restore(box, handed === undefined ? [] : await changesOf(box.container));
          if (cancelled) return stepResult(130, null);
          const exitCode = await execStep(box.container, input, onLog);
          if (cancelled) return stepResult(130, null);
          if (exitCode !== 0) return stepResult(exitCode, null);
          const children = hints?.buildsInChildren.length ?? 0;
          const target = cacheTarget ?? (children >= 2 ? ephemeralTag(input.step.key, input.step_id) : null);
          let snapshot: string | null = children === 1 ? `${HELD_PREFIX}${input.step_id}` : null;
          if (target !== null) {
            const state = await recordState(box);
            await commit(box.container, input.run_id, target, cacheTarget !== null);
            if (cancelled) {
              // Stopped (cancel or timeout) while committing: what it left must not become a cache entry.
              if (cacheTarget !== null)
                await engine
                  .getImage(target)
                  .remove()
                  .catch(() => {});
              return stepResult(130, null);
            }
            knownStates.set(target, state);
            if (cacheTarget !== null) await evictStale(engine, ...splitTag(target));
            snapshot = target;
          }
          if (children > 0 && snapshot !== null) {
            held.set(snapshot, box);
            keep = true;
          }
          return stepResult(0, snapshot);
        } finally {
          stop = null;
          if (!keep) await removeBox(box);
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
      held.clear();
      await removeRunLeftovers(engine, (runId) => runId === context.runId, context.runId);
    },
  };
}

async function removeBox(box: Box): Promise<void> {
  await box.container.remove({ force: true, v: true }).catch(() => {});
}

/** Commits the container as `target`; a cache image outlives the run, so it drops the run's label. */
async function commit(container: Container, runId: string, target: string, cached: boolean): Promise<void> {
  const [repo, tag] = splitTag(target);
  // Marked while the engine works on it: if hm dies meanwhile, the reaper waits for the image.
  const unmark = markCommit({ run: runId, owner: ownerLabel(), tag: target });
  try {
    await container.commit(cached ? { repo, tag, changes: [`LABEL ${LABEL_RUN}=`] } : { repo, tag });
  } finally {
    unmark();
  }
}

/** Runs the step's command in the container; its exit code (137 when the exec left none: the container was killed). */
async function execStep(
  container: Container,
  input: ExecutorInput,
  onLog: (stream: StdStream, line: string) => void,
): Promise<number> {
  const exec = await container.exec({
    Cmd: ["sh", "-c", `${PRELUDE}\n${input.step.cmd}`],
    Env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
    WorkingDir: "/",
    AttachStdout: true,
    AttachStderr: true,
  });
  const output = await exec.start({ hijack: true, stdin: false });
  await streamLines(output, onLog);
  // The output ends when the command closes it, which may be before it exits (or a moment
  // before the engine records the exit): ask until it has. A cancel or timeout kills the container.
  for (let wait = 5; ; wait = Math.min(wait * 2, 500)) {
    let info: { Running: boolean; ExitCode: number | null };
    try {
      info = (await exec.inspect()) as typeof info;
    } catch {
      return 137; // the container is gone: killed
    }
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    // An exec of a container that was killed may keep saying it runs.
    const alive = await container
      .inspect()
      .then((c) => c.State.Running)
      .catch(() => false);
    if (!alive) return 137;
    await Bun.sleep(wait);
  }
}

/** What the container changed since it was made from its image (the engine reads the container's own layer only). */
async function changesOf(container: Container): Promise<ContainerChange[]> {
  const answer = (await container.changes()) as unknown;
  if (Array.isArray(answer)) return answer as ContainerChange[];
  // dockerode hands an empty answer ("null") back as raw bytes.
  return [];
}

/** The `/.hm/state` of the image the container was made from, or null when it has none. */
async function stateOf(container: Container): Promise<ImageState | null> {
  const text = await fileOf(container, "/.hm/state");
  if (text === null) return null;
  const parsed = v.safeParse(ImageStateSchema, safeJson(text));
  return parsed.success ? parsed.output : null;
}

async function imageListing(container: Container): Promise<string[]> {
  return ((await fileOf(container, "/.hm/listing")) ?? "").split("\n");
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

/** A small file's content from the container, or null when it has none. */
async function fileOf(container: Container, path: string): Promise<string | null> {
  try {
    const stream = await container.getArchive({ path });
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const content = firstFileOf(new Uint8Array(Buffer.concat(chunks)));
    return content === null ? null : new TextDecoder().decode(content);
  } catch {
    return null;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
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
