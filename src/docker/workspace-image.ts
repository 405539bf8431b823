/**
 * Workspace images (`docs/design.md`, "The docker runner"): a root step's
 * image plus one layer holding the working tree, so root steps extract
 * nothing and their commits hold only what the step wrote. Named
 * `hm-workspace/<project>:<base id>-<tree id>`; the next run of an unchanged
 * tree finds it and loads nothing. A changed tree gets an incremental layer
 * (what changed, whiteouts for what went) on top of the project's most
 * recent workspace image of the same base, up to `MAX_DEPTH` layers, then a
 * full one again.
 *
 * The image is made with the engine's image-load API from a tar we write:
 * the new layer, an image config (the base's, with the layer's digest
 * appended) and a manifest. The layers the engine already has are named but
 * not sent (the engine looks a layer up by its chain id before reading its
 * file), so loading costs the new layer only. This is far cheaper than
 * extracting the tree into a container and committing it, which writes the
 * tree twice more (measured in bench/RESULTS.md).
 *
 * Each workspace image's tree index (paths and entry hashes) is kept in
 * `<state dir>/workspaces/<project>/<tree id>.json`, for the next increment
 * and for a child whose cached parent holds an older tree.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import * as v from "valibot";
import { writeFileAtomically } from "../atomic-file.ts";
import { stateDir } from "../plugins/paths.ts";
import type { Engine } from "./engine.ts";
import { miniTar, tarHeader } from "./mini-tar.ts";
import { type TreeIndex, writeWorkspaceLayer } from "./workspace-layer.ts";
import type { WorkspaceTree } from "./workspace-tree.ts";

export const WORKSPACE_REPOSITORY = "hm-workspace";
/** Layers a workspace image may have on its base before the next is full again. */
const MAX_DEPTH = 8;
/** A workspace image not used for this long may go when its project gets a newer one (a run still using it keeps it). */
const UNUSED_MS = 10 * 60_000;

const StoredIndex = v.object({
  depth: v.number(),
  paths: v.array(v.string()),
  hashes: v.array(v.string()),
});
type StoredIndex = v.InferOutput<typeof StoredIndex>;

export function workspaceRepository(projectId: string): string {
  return `${WORKSPACE_REPOSITORY}/${projectId}`;
}

function indexPath(projectId: string, treeId: string): string {
  return join(stateDir(), "workspaces", projectId, `${treeId}.json`);
}

/** The tree index kept for `treeId`, or null when there is none (or it cannot be read). */
export function readTreeIndex(projectId: string, treeId: string): (TreeIndex & { depth: number }) | null {
  try {
    const parsed = v.safeParse(StoredIndex, JSON.parse(readFileSync(indexPath(projectId, treeId), "utf8")));
    return parsed.success && parsed.output.paths.length === parsed.output.hashes.length
      ? parsed.output
      : null;
  } catch {
    return null;
  }
}

function writeTreeIndex(projectId: string, tree: WorkspaceTree, depth: number): void {
  const path = indexPath(projectId, tree.id);
  mkdirSync(join(stateDir(), "workspaces", projectId), { recursive: true, mode: 0o700 });
  const stored: StoredIndex = { depth, paths: tree.entries.map((e) => e.path), hashes: [...tree.hashes] };
  writeFileAtomically(path, JSON.stringify(stored), 0o600);
}

interface ImageInfo {
  readonly Id: string;
  readonly Created: string;
  readonly Architecture: string;
  readonly Os: string;
  readonly Variant?: string;
  readonly Config: unknown;
  readonly RootFS: { readonly Layers?: readonly string[] };
  readonly RepoTags?: readonly string[];
  readonly Metadata?: { readonly LastTagTime?: string };
}

export interface WorkspaceImageRequest {
  readonly projectId: string;
  /** The step's image, present in the engine, by id. */
  readonly baseId: string;
  readonly tree: WorkspaceTree;
  /** Where the layer is written while the image is made (the run's directory). */
  readonly scratchDir: string;
}

/** The workspace image's tag, made if the engine lacks it. */
export async function ensureWorkspaceImage(engine: Engine, request: WorkspaceImageRequest): Promise<string> {
  const { projectId, tree } = request;
  const repo = workspaceRepository(projectId);
  const basePart = request.baseId.replace(/^sha256:/, "").slice(0, 12);
  const name = `${basePart}-${tree.id}`;
  const tag = `${repo}:${name}`;
  if ((await inspect(engine, tag)) !== null) {
    await engine.getImage(tag).tag({ repo, tag: name }); // marks it used now, for the eviction below
    return tag;
  }
  const previous = await newestIncrementBase(engine, repo, basePart, projectId);
  const parent = previous?.image ?? (await inspect(engine, request.baseId));
  if (parent === null) throw new Error(`image ${request.baseId} vanished from the engine`);
  const layerPath = join(request.scratchDir, `workspace-layer-${crypto.randomUUID()}.tar`);
  try {
    const layer = writeWorkspaceLayer(tree, previous?.index ?? null, layerPath);
    const config = {
      architecture: parent.Architecture,
      os: parent.Os,
      ...(parent.Variant === undefined ? {} : { variant: parent.Variant }),
      created: parent.Created,
      config: parent.Config,
      rootfs: { type: "layers", diff_ids: [...(parent.RootFS.Layers ?? []), layer.diffId] },
    };
    const configName = `${layer.diffId.slice(7)}.json`;
    const layerDirs = (parent.RootFS.Layers ?? []).map((diffId) => `${diffId.slice(7)}/layer.tar`);
    const manifest = [{ Config: configName, RepoTags: [tag], Layers: [...layerDirs, "workspace/layer.tar"] }];
    await load(engine, layer.path, layer.bytes, [
      { name: configName, content: JSON.stringify(config) },
      { name: "manifest.json", content: JSON.stringify(manifest) },
    ]);
  } finally {
    rmSync(layerPath, { force: true });
  }
  // A loaded image has no tag time yet: without one it would look unused since its base was made.
  await engine.getImage(tag).tag({ repo, tag: name });
  writeTreeIndex(projectId, tree, previous === null ? 1 : previous.index.depth + 1);
  await evictUnused(engine, repo, basePart, tag, projectId);
  return tag;
}

/** The project's most recently used workspace image of this base that an increment can go on, with its tree index. */
async function newestIncrementBase(
  engine: Engine,
  repo: string,
  basePart: string,
  projectId: string,
): Promise<{ image: ImageInfo; index: TreeIndex & { depth: number } } | null> {
  const candidates = (await listTags(engine, repo, basePart)).sort((a, b) => b.usedAt - a.usedAt);
  for (const candidate of candidates) {
    const index = readTreeIndex(projectId, candidate.treeId);
    if (index === null || index.depth >= MAX_DEPTH) continue;
    const image = await inspect(engine, candidate.tag);
    if (image !== null) return { image, index };
  }
  return null;
}

interface TagInfo {
  readonly tag: string;
  readonly treeId: string;
  readonly usedAt: number;
}

async function listTags(engine: Engine, repo: string, basePart: string): Promise<TagInfo[]> {
  const images = await engine.listImages({ filters: JSON.stringify({ reference: [`${repo}:*`] }) });
  const out: TagInfo[] = [];
  for (const image of images)
    for (const tag of image.RepoTags ?? []) {
      const name = tag.slice(repo.length + 1);
      if (!tag.startsWith(`${repo}:${basePart}-`)) continue;
      const info = await inspect(engine, tag);
      const usedAt = lastUsedMs(info, image.Created);
      out.push({ tag, treeId: name.slice(basePart.length + 1), usedAt });
    }
  return out;
}

/** Tags of this project and base other than `keep` that no run used lately; an image a container still uses stays. */
async function evictUnused(
  engine: Engine,
  repo: string,
  basePart: string,
  keep: string,
  projectId: string,
): Promise<void> {
  const now = Date.now();
  for (const candidate of await listTags(engine, repo, basePart)) {
    if (candidate.tag === keep || now - candidate.usedAt < UNUSED_MS) continue;
    try {
      await engine.getImage(candidate.tag).remove();
      rmSync(indexPath(projectId, candidate.treeId), { force: true });
    } catch {
      // In use by a container, or removed meanwhile: it stays until next time.
    }
  }
}

/**
 * `hm cache clean`: the workspace images of one project (null: of every
 * project) last used before `cutoff` (seconds since the epoch), with their
 * tree indexes. One a live run's container still uses stays (the engine refuses).
 */
export async function removeWorkspaceImages(
  engine: Engine,
  projectId: string | null,
  cutoff: number,
): Promise<{ count: number; bytes: number }> {
  const prefix = projectId === null ? `${WORKSPACE_REPOSITORY}/` : `${workspaceRepository(projectId)}:`;
  let count = 0;
  let bytes = 0;
  const filters = JSON.stringify({ reference: [`${WORKSPACE_REPOSITORY}/*`] });
  for (const image of await engine.listImages({ filters }))
    for (const tag of image.RepoTags ?? []) {
      if (!tag.startsWith(prefix)) continue;
      const info = await inspect(engine, tag);
      const usedAt = lastUsedMs(info, image.Created) / 1000;
      if (usedAt >= cutoff) continue;
      const removed = await engine
        .getImage(tag)
        .remove()
        .then(() => true)
        .catch(() => false);
      if (!removed) continue;
      count++;
      bytes += image.Size;
      const [repo, name] = [tag.slice(0, tag.indexOf(":")), tag.slice(tag.indexOf(":") + 1)];
      rmSync(indexPath(repo.slice(WORKSPACE_REPOSITORY.length + 1), name.slice(name.indexOf("-") + 1)), {
        force: true,
      });
    }
  return { count, bytes };
}

/** When a run last tagged the image (the engine gives year 1 for never), else its creation. */
function lastUsedMs(info: ImageInfo | null, createdSeconds: number): number {
  const tagged = Date.parse(info?.Metadata?.LastTagTime ?? "");
  return tagged > 0 ? tagged : createdSeconds * 1000;
}

async function inspect(engine: Engine, image: string): Promise<ImageInfo | null> {
  try {
    return (await engine.getImage(image).inspect()) as unknown as ImageInfo;
  } catch {
    return null;
  }
}

/** Streams `[workspace/layer.tar, ...small]` to the engine's image-load API and waits for it to finish. */
async function load(
  engine: Engine,
  layerPath: string,
  layerBytes: number,
  small: readonly { name: string; content: string }[],
): Promise<void> {
  async function* body(): AsyncGenerator<Uint8Array> {
    yield tarHeader("workspace/layer.tar", layerBytes);
    for await (const chunk of Bun.file(layerPath).stream()) yield chunk;
    const pad = (512 - (layerBytes % 512)) % 512;
    if (pad > 0) yield new Uint8Array(pad);
    yield miniTar(small);
  }
  const response = (await engine.loadImage(Readable.from(body()), { quiet: true })) as NodeJS.ReadableStream;
  let text = "";
  for await (const chunk of response as AsyncIterable<Buffer>) text += chunk.toString();
  // The engine answers 200 and reports a failed load in the stream.
  const failure = /"error(?:Detail)?":\s*(?:"([^"]*)"|\{"message":"([^"]*)")/.exec(text);
  if (failure !== null) throw new Error(`loading the workspace image failed: ${failure[1] ?? failure[2]}`);
}
