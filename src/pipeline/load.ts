/**
 * Evaluates a project's pipeline files with the embedded SDK and returns the
 * discovery envelope plus each pipeline's checked graph. Every failure names
 * the file (with line when a pipeline file throws), the pipeline slug and,
 * where it applies, the step key and field.
 */

import { readFileSync } from "node:fs";
import { relative } from "node:path";
import * as v from "valibot";
import { HmError, messageOf } from "../errors.ts";
import { log } from "../log.ts";
import type { GraphIR } from "../protocol/ir.ts";
import { parseIR } from "./graph.ts";
import { listPipelineFiles, type PipelineFile, type Project } from "./project.ts";
import { buildEnvelope, type EnvelopePipeline, type PipelineDefinition } from "./sdk/envelope.ts";
import { withProjectDir } from "./sdk/toolchains/project-dir.ts";
import { registerSdkModules } from "./sdk-modules.ts";
import { stdoutToStderr } from "./stdout-guard.ts";

export interface LoadedPipeline {
  /** The envelope entry, exactly as the SDK rendered it (printed byte for byte). */
  readonly entry: EnvelopePipeline;
  /** The same IR, validated and typed. */
  readonly graph: GraphIR;
  /** Path of the file that defined it, relative to the project root. */
  readonly source: string;
}

export interface LoadOptions {
  /** Unix seconds used for ttl cache keys; defaults to `SOURCE_DATE_EPOCH`, else now. */
  readonly now?: number;
}

export async function loadPipelines(project: Project, options: LoadOptions = {}): Promise<LoadedPipeline[]> {
  if (project.pipelineDir === null) return [];
  const { files, python } = listPipelineFiles(project.pipelineDir);
  const shown = (path: string) => relative(project.root, path) || path;
  if (python.length > 0) {
    const names = python.map((p) => shown(`${project.pipelineDir}/${p}`)).join(", ");
    if (files.length === 0) {
      throw new HmError(
        "E_PIPELINE_RENDER",
        `only TypeScript pipelines are supported; found Python: ${names}`,
        {
          hint: "rewrite the pipeline in TypeScript (hm init -t <template> shows the shape)",
        },
      );
    }
    log().warn(`ignoring Python pipeline files (only TypeScript is supported): ${names}`);
  }

  const now = options.now ?? renderTime();
  const loaded: LoadedPipeline[] = [];
  const slugSource = new Map<string, string>();
  for (const file of files) {
    const source = shown(file.path);
    if (file.kind === "ir") {
      const graph = irFileGraph(file.path, source);
      claimSlug(slugSource, file.slug, source);
      const entry = { slug: file.slug, name: file.slug, allow_manual: true, triggers: [], definition: graph };
      loaded.push({ entry: entry as unknown as EnvelopePipeline, graph, source });
      continue;
    }
    for (const definition of await moduleDefinitions(file, source, project.root)) {
      claimSlug(slugSource, definition.slug, source);
      loaded.push(renderOne(definition, source, project.root, now));
    }
  }
  return loaded;
}

function claimSlug(slugSource: Map<string, string>, slug: string, source: string): void {
  const earlier = slugSource.get(slug);
  if (earlier !== undefined) {
    throw new HmError(
      "E_PIPELINE_RENDER",
      `${source}: pipeline slug '${slug}' is already defined in ${earlier}`,
      {
        hint: "give each pipeline a unique slug",
      },
    );
  }
  slugSource.set(slug, source);
}

function renderTime(): number {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return Number(epoch);
  return Math.floor(Date.now() / 1000);
}

function renderOne(
  definition: PipelineDefinition,
  source: string,
  root: string,
  now: number,
): LoadedPipeline {
  let entry: EnvelopePipeline;
  try {
    const rendered = buildEnvelope([definition], { basePath: root, now }).pipelines[0] as EnvelopePipeline;
    // What `hm render` prints is the JSON form: validate exactly that.
    entry = JSON.parse(JSON.stringify(rendered)) as EnvelopePipeline;
  } catch (error) {
    throw renderError(`${source}: pipeline '${definition.slug}'`, error);
  }
  try {
    return { entry, graph: parseIR(entry.definition), source };
  } catch (error) {
    throw new HmError("E_PIPELINE_INVALID", `${source}: pipeline '${definition.slug}': ${messageOf(error)}`);
  }
}

const DefinitionSchema = v.object({
  slug: v.pipe(
    v.string("slug must be a string"),
    v.regex(/^\S+$/, "slug must be a non-empty word without spaces"),
  ),
  name: v.optional(v.string("name must be a string")),
  allowManual: v.optional(v.boolean("allowManual must be a boolean")),
  triggers: v.optional(
    v.array(
      v.custom<object>(
        (t) => typeof t === "object" && t !== null,
        "each trigger must come from push() or pullRequest()",
      ),
      "triggers must be an array",
    ),
  ),
  pipeline: v.looseObject({}, "pipeline must be the IR returned by pipeline([...]) (got something else)"),
});

async function moduleDefinitions(
  file: PipelineFile,
  source: string,
  root: string,
): Promise<PipelineDefinition[]> {
  registerSdkModules();
  let mod: Record<string, unknown>;
  try {
    // Toolchains read manifests and lockfiles from the project, not from the working directory.
    mod = (await stdoutToStderr(() => withProjectDir(root, () => import(file.path)))) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw renderError(source, error, file.path);
  }
  const exported = mod.default ?? mod.pipelines;
  if (exported === undefined || exported === null) {
    throw new HmError("E_PIPELINE_RENDER", `${source} exports no pipeline definition`, {
      hint:
        'export default { slug: "ci", pipeline: pipeline([...]) } (or export const pipelines = [...]); ' +
        "shared helpers belong in a subdirectory such as .hm/lib/",
    });
  }
  const list = Array.isArray(exported) ? exported : [exported];
  if (list.length === 0) {
    throw new HmError("E_PIPELINE_RENDER", `${source} exports an empty list of pipelines`);
  }
  return list.map((candidate, i) => {
    const result = v.safeParse(DefinitionSchema, candidate);
    if (result.success) return candidate as PipelineDefinition;
    const issue = result.issues[0];
    const field = issue.path?.map((p) => p.key).join(".");
    const which = Array.isArray(exported) ? `pipeline #${i}` : "the exported pipeline";
    const slug = (candidate as { slug?: unknown } | null)?.slug;
    const named = typeof slug === "string" ? `pipeline '${slug}'` : which;
    throw new HmError(
      "E_PIPELINE_RENDER",
      `${source}: ${named}: ${field ? `${field}: ` : ""}${issue.message}`,
      {
        hint: "a pipeline definition is { slug, name?, allowManual?, triggers?, pipeline: pipeline([...]) }",
      },
    );
  });
}

/** An `*.ir.json` file: IR written by hand or by another tool, in either encoding. */
function irFileGraph(path: string, source: string): GraphIR {
  let ir: unknown;
  try {
    ir = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new HmError("E_PIPELINE_INVALID", `${source}: not valid JSON: ${messageOf(error)}`);
  }
  try {
    return parseIR(ir);
  } catch (error) {
    throw new HmError("E_PIPELINE_INVALID", `${source}: ${messageOf(error)}`);
  }
}

/**
 * An error thrown while evaluating a pipeline file, located at the file's own
 * frame. SDK messages are "hm: <what>\n  → <hint>": split the hint off.
 */
function renderError(where: string, error: unknown, filePath?: string): HmError {
  const syntax = firstBuildMessage(error);
  if (syntax !== null) {
    const line = syntax.position ? `:${syntax.position.line}:${syntax.position.column}` : "";
    const code = syntax.position?.lineText ? ` in: ${syntax.position.lineText.trim()}` : "";
    return new HmError("E_PIPELINE_RENDER", `${where}${line}: ${syntax.message}${code}`, { cause: error });
  }
  const text = messageOf(error).replace(/^hm: /, "");
  const [first, ...more] = text.split("\n");
  const hintLines = more.map((l) => l.trim().replace(/^(→|->)\s*/, "")).filter((l) => l !== "");
  let location = where;
  if (filePath !== undefined && error instanceof Error && error.stack) {
    const line = lineIn(error.stack, filePath);
    if (line !== null) location = `${where}:${line}`;
  }
  return new HmError("E_PIPELINE_RENDER", `${location}: ${first}`, {
    ...(hintLines.length > 0 ? { hint: hintLines.join("; ") } : {}),
    cause: error,
  });
}

interface BuildMessageLike {
  message: string;
  position?: { line: number; column: number; lineText?: string } | null;
}

/** Bun reports a file it cannot parse as an AggregateError of BuildMessages. */
function firstBuildMessage(error: unknown): BuildMessageLike | null {
  const errors = (error as { errors?: unknown } | null)?.errors;
  const first = Array.isArray(errors) ? (errors[0] as BuildMessageLike | undefined) : undefined;
  return first && typeof first.message === "string" ? first : null;
}

function lineIn(stack: string, filePath: string): string | null {
  for (const frame of stack.split("\n")) {
    const at = frame.indexOf(`${filePath}:`);
    if (at >= 0) {
      const match = /^:(\d+)(?::\d+)?/.exec(frame.slice(at + filePath.length));
      if (match) return match[1] as string;
    }
  }
  return null;
}
