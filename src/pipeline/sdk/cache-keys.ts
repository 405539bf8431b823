/**
 * Render-time cache keys (`docs/design.md`, "Pipelines, keys and the IR"). For every cached node, in node
 * order: sha256(org \0 slug \0 stepKey \0 parentKey \0 policyPart), where
 * parentKey is the builds_in parent's resolved cache key or "scratch" for a
 * root. The host never hashes: it only compares these keys with image tags.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { SdkError } from "./errors.ts";
import type { PipelineIR } from "./lower.ts";

const NUL = "\0";

interface CacheKeyOptions {
  readonly pipelineOrg: string;
  readonly pipelineSlug: string;
  /** Unix seconds; ttl keys use floor(now / duration). */
  readonly now: number;
  /** Directory that `onChange` paths are relative to (the project root). */
  readonly basePath: string;
  /** Environment that `envKeys` values are read from. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

type CacheIR = Record<string, unknown>;

export function resolvePipelineCacheKeys(graph: PipelineIR["graph"], opts: CacheKeyOptions): void {
  const keyOfNode = graph.nodes.map((node) => String(node.step.key));
  const parentOf = new Map<string, string>();
  for (const [from, to, kind] of graph.edges) {
    if (kind === "builds_in") parentOf.set(keyOfNode[to] as string, keyOfNode[from] as string);
  }

  const resolved = new Map<string, string>();
  for (const node of graph.nodes) {
    const cache = node.step.cache as CacheIR | undefined;
    if (cache == null || cache.policy === "none") continue;
    const stepKey = String(node.step.key);
    const parentKey = parentOf.get(stepKey);
    let parentPart = "scratch";
    if (parentKey !== undefined) {
      const parentCacheKey = resolved.get(parentKey);
      if (parentCacheKey === undefined) {
        throw new SdkError(`step '${stepKey}' is cached but builds in step '${parentKey}', which is not`, {
          hint: `give '${parentKey}' a cache policy too (a cached step's key includes its parent's)`,
          bare: true,
        });
      }
      parentPart = parentCacheKey;
    }
    const cmd = typeof node.step.cmd === "string" ? node.step.cmd : "";
    const policyPart = policyKeyPart(cache, cmd, opts);
    const key = sha256([opts.pipelineOrg, opts.pipelineSlug, stepKey, parentPart, policyPart].join(NUL));
    cache.key = key;
    resolved.set(stepKey, key);
  }
}

function policyKeyPart(cache: CacheIR, cmd: string, opts: CacheKeyOptions): string {
  const envKeys = (cache.env_keys as string[] | undefined) ?? [];
  switch (cache.policy) {
    case "none":
      return "none";
    case "forever":
      return `forever-${sha256(cmd + NUL + envSubset(envKeys, opts.env))}`;
    case "ttl": {
      const bucket = Math.floor(opts.now / (cache.duration_seconds as number));
      return `ttl-${bucket}-${sha256(cmd + NUL + envSubset(envKeys, opts.env))}`;
    }
    case "on_change": {
      const files: string[] = [];
      for (const pattern of [...((cache.paths as string[] | undefined) ?? [])].sort()) {
        if (isGlob(pattern)) files.push(...expandGlob(opts.basePath, pattern));
        else {
          const full = resolve(opts.basePath, pattern);
          if (existsSync(full)) files.push(full);
        }
      }
      return `sha-${sha256(files.map((f) => pathHash(f) + NUL).join(""))}`;
    }
    case "compose": {
      const parts = (cache.sub_policies as CacheIR[]).map((sub) => policyKeyPart(sub, cmd, opts));
      return `compose-${sha256(parts.join(""))}`;
    }
    default:
      throw new SdkError(`unknown cache policy ${JSON.stringify(cache.policy)}`, { bare: true });
  }
}

function envSubset(envKeys: readonly string[], env: CacheKeyOptions["env"]): string {
  return [...envKeys]
    .sort()
    .map((k) => `${k}=${env[k] ?? ""}${NUL}`)
    .join("");
}

/** A file hashes as its bytes; a directory as its files' relative paths and bytes, sorted. */
function pathHash(fullPath: string): string {
  const stat = statSync(fullPath);
  if (stat.isFile()) return sha256(readFileSync(fullPath));
  if (stat.isDirectory()) {
    const h = createHash("sha256");
    for (const file of filesUnder(fullPath).sort()) {
      h.update(relative(fullPath, file).split("\\").join("/"), "utf8");
      h.update(NUL);
      h.update(readFileSync(file));
      h.update(NUL);
    }
    return h.digest("hex");
  }
  throw new SdkError(`on_change path is neither a file nor a directory: ${fullPath}`, { bare: true });
}

/** Regular files below `dir` (symlinks are neither followed nor included). */
function filesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(full));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/**
 * Segment-wise glob expansion with the reference's semantics, duplicates
 * included: `**` yields the directory itself plus the directory of every file
 * below it, once per file, so a file matched through several of those is
 * hashed as many times (the reference's cache keys depend on it).
 */
function expandGlob(basePath: string, pattern: string): string[] {
  let candidates = [basePath];
  for (const part of pattern.split("/")) {
    const next: string[] = [];
    for (const dir of candidates) {
      if (!isDirectory(dir)) continue;
      if (part === "**") {
        next.push(dir, ...filesUnder(dir).map((f) => join(f, "..")));
      } else if (isGlob(part)) {
        const matcher = segmentMatcher(part);
        for (const entry of readdirSync(dir)) if (matcher.test(entry)) next.push(join(dir, entry));
      } else {
        const full = join(dir, part);
        if (existsSync(full)) next.push(full);
      }
    }
    candidates = next;
  }
  return candidates.filter((p) => existsSync(p) && statSync(p).isFile()).sort();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** `*` is any run of characters (dots and leading dots too), `?` one; everything else is literal. */
function segmentMatcher(part: string): RegExp {
  let source = "^";
  for (const ch of part) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`${source}$`);
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
