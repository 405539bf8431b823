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
import type { Container } from "dockerode";
import { messageOf } from "../errors.ts";
import { type ProjectIdentity, projectIdentity } from "../pipeline/project-identity.ts";
import type { ExecutorInput, StepResult } from "../protocol/index.ts";
import type {
  CacheDecision,
  CacheRequest,
  Executor,
  RunContext,
  StepExecution,
  StepHints,
} from "../runner/contract.ts";
import { begin, span } from "../trace/tracer.ts";
import { EntryFingerprints, wantsCache } from "./cache-entry.ts";
import { type Engine, engineAddress } from "./engine.ts";
import { ownerLabel, removeRunLeftovers } from "./gc.ts";
import { evictStale, imageExists, imageIdOf, pull, splitTag, touch } from "./images.ts";
import { miniTar } from "./mini-tar.ts";
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
import {
  changesOf,
  commit,
  execStep,
  imageListing,
  KEEP_ALIVE,
  stateOf,
  untouchedSinceStep,
} from "./step-container.ts";
import { ensureWorkspaceImage, readTreeIndex } from "./workspace-image.ts";
import { cleanState, type ImageState, listingOf } from "./workspace-layer.ts";
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

/** Trees of at least this many entries check for an untouched workspace before asking the engine for changes (measured in bench/RESULTS.md). */
const UNTOUCHED_CHECK_FROM = 5000;

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
    treeRead ??= readWorkspaceTree(context.archivePath, context.archiveMemo ?? null);
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
  const fingerprints = new EntryFingerprints(async () => (await identity()).id, "docker");
  const fingerprintOf = (request: CacheRequest, imageId: string | null) => fingerprints.of(request, imageId);

  const workspaceImageOf = (baseId: string): Promise<string> => {
    let made = workspaceImages.get(baseId);
    if (made === undefined) {
      made = identity().then((id) =>
        span("workspace image", () =>
          ensureWorkspaceImage(engine, {
            projectId: id.id,
            baseId,
            tree: tree(),
            scratchDir: dirname(context.archivePath),
          }),
        ),
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
    const creating = begin("container create", { image });
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
    creating.end();
    try {
      await span("container start", () => container.start());
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
    const putting = begin("restore workspace", { plan: plan.kind });
    if (plan.kind === "full") await box.container.putArchive(context.archivePath, { path: "/workspace" });
    else if (plan.entries.length > 0)
      await box.container.putArchive(Buffer.from(restoreArchive(current, plan.entries)), {
        path: "/workspace",
      });
    if (meta.length > 1) await box.container.putArchive(Buffer.from(miniTar(meta)), { path: "/" });
    putting.end();
  };

  /**
   * A handed-over container was restored before its last step ran; a step
   * that changed nothing under /workspace leaves nothing to put back. Asked
   * of big trees only: on a small one the engine's list of changes is cheaper than the walk.
   */
  const handedOverIntact = async (box: Box): Promise<boolean> =>
    context.archivePaths.length >= UNTOUCHED_CHECK_FROM && (await untouchedSinceStep(box.container));

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
          return fail(
            `the container of this step's parent is gone (${parent}): was it removed by hand or by hm gc? Run again`,
          );
        } else {
          let image = parent ?? input.step.image ?? DEFAULT_IMAGE;
          if (parent === null) {
            if (!(await imageExists(engine, image))) {
              const pulled = await span("pull image", () => pull(engine, image, onLog), { image });
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
          if (parent !== null && handed === undefined) await restore(box, []);
          else if (handed !== undefined && !(await handedOverIntact(box)))
            await restore(box, await span("container changes", () => changesOf(box.container)));
          if (cancelled) return stepResult(130, null);
          const exitCode = await execStep(box.container, input, onLog);
          if (cancelled) return stepResult(130, null);
          if (exitCode !== 0) return stepResult(exitCode, null);
          const children = hints?.buildsInChildren.length ?? 0;
          const target = cacheTarget ?? (children >= 2 ? ephemeralTag(input.step.key, input.step_id) : null);
          let snapshot: string | null = children === 1 ? `${HELD_PREFIX}${input.step_id}` : null;
          if (target !== null) {
            const state = await span("record state", () => recordState(box));
            await span("container commit", () =>
              commit(box.container, input.run_id, target, cacheTarget !== null),
            );
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
          if (!keep) await span("container remove", () => removeBox(box));
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
      await span("docker: remove the run's leftovers", () =>
        removeRunLeftovers(engine, (runId) => runId === context.runId, context.runId),
      );
    },
  };
}

async function removeBox(box: Box): Promise<void> {
  await box.container.remove({ force: true, v: true }).catch(() => {});
}

function stepResult(exitCode: number, snapshot: string | null): StepResult {
  return { exit_code: exitCode, committed_snapshot: snapshot, artifacts: [] };
}

function rootImage(request: CacheRequest): string {
  return request.step.image ?? DEFAULT_IMAGE;
}
