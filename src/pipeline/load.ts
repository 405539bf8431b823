/**
 * Evaluates a project's pipeline files with the embedded SDK and returns the
 * discovery envelope plus each pipeline's checked graph. Every failure names
 * the file (with line when a pipeline file throws), the pipeline slug and,
 * where it applies, the step key and field.
 */

import { readFileSync } from "node:fs";
import { HmError, messageOf } from "../errors.ts";
import { log } from "../log.ts";
import type { GraphIR } from "../protocol/ir.ts";
import { parseIR } from "./graph.ts";
import { moduleDefinitions } from "./module-exports.ts";
import { listPipelineFiles, type PipelineFile, type Project } from "./project.ts";
import { buildEnvelope, type EnvelopePipeline, type PipelineDefinition } from "./sdk/envelope.ts";
import { withProjectDir } from "./sdk/toolchains/project-dir.ts";
import { collectSdkWarnings, type SdkWarning } from "./sdk/warnings.ts";
import { registerSdkModules } from "./sdk-modules.ts";
import { bunLoadError, projectFrames, shownPath } from "./source-location.ts";
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
  const shown = (path: string) => shownPath(path, project.root);
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
      const graph = irFileGraph(file.path, source, file.slug);
      claimSlug(slugSource, file.slug, source);
      const entry = { slug: file.slug, name: file.slug, allow_manual: true, triggers: [], definition: graph };
      loaded.push({ entry: entry as unknown as EnvelopePipeline, graph, source });
      continue;
    }
    for (const definition of await evaluateModule(file, source, project.root)) {
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

async function evaluateModule(
  file: PipelineFile,
  source: string,
  root: string,
): Promise<PipelineDefinition[]> {
  registerSdkModules();
  let mod: Record<string, unknown>;
  try {
    mod = await collectSdkWarnings(
      // Toolchains read manifests and lockfiles from the project, not from the working directory.
      () => stdoutToStderr(() => withProjectDir(root, () => import(file.path))),
      (warnings) => reportSdkWarnings(warnings, source, root),
    );
  } catch (error) {
    throw evaluationError(source, error, file.path, root);
  }
  const { definitions, warnings } = moduleDefinitions(mod, source);
  for (const warning of warnings) log().warn(warning);
  return definitions;
}

/** Each warning once, at the line of the project file that made the SDK call. */
function reportSdkWarnings(warnings: readonly SdkWarning[], source: string, root: string): void {
  const printed = new Set<string>();
  for (const { message, stack } of warnings) {
    const frame = projectFrames(stack, root)[0];
    const line = `${frame ? `${shownPath(frame.file, root)}:${frame.line}` : source}: ${message}`;
    if (printed.has(line)) continue;
    printed.add(line);
    log().warn(line);
  }
}

/** An `*.ir.json` file: IR written by hand or by another tool, in either encoding. */
function irFileGraph(path: string, source: string, slug: string): GraphIR {
  let ir: unknown;
  try {
    ir = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new HmError("E_PIPELINE_INVALID", `${source}: not valid JSON: ${messageOf(error)}`);
  }
  try {
    return parseIR(ir);
  } catch (error) {
    throw new HmError("E_PIPELINE_INVALID", `${source}: pipeline '${slug}': ${messageOf(error)}`);
  }
}

/**
 * An error thrown while evaluating a pipeline file, located in the project's
 * files: a syntax or import error at Bun's position, anything else at the
 * pipeline file's frame (and the helper's, when a helper threw).
 */
function evaluationError(source: string, error: unknown, filePath: string, root: string): HmError {
  const load = bunLoadError(error);
  if (load !== null) {
    const at = load.position;
    const where = at ? `${shownPath(at.file, root)}:${at.line}:${at.column}` : source;
    const via = at && at.file !== filePath ? ` (while loading ${source})` : "";
    return new HmError("E_PIPELINE_RENDER", `${where}: ${load.message}${via}`, { cause: error });
  }
  const { first, hint } = splitSdkMessage(error);
  const frames = error instanceof Error && error.stack ? projectFrames(error.stack, root) : [];
  const own = frames.find((f) => f.file === filePath);
  const innermost = frames[0];
  let where = own ? `${source}:${own.line}` : source;
  let thrownAt = "";
  if (innermost !== undefined && innermost.file !== filePath) {
    const at = `${shownPath(innermost.file, root)}:${innermost.line}`;
    if (own) thrownAt = ` (thrown at ${at})`;
    else where = `${at} (while loading ${source})`;
  }
  return new HmError("E_PIPELINE_RENDER", `${where}: ${first}${thrownAt}`, { ...hint, cause: error });
}

/** An error of the SDK's renderer (cache keys, the envelope): no pipeline-file line to point at. */
function renderError(where: string, error: unknown): HmError {
  const { first, hint } = splitSdkMessage(error);
  return new HmError("E_PIPELINE_RENDER", `${where}: ${first}`, { ...hint, cause: error });
}

/** SDK messages are "hm: <what>\n  → <hint>": the first line, and the hint lines as one hint. */
function splitSdkMessage(error: unknown): { first: string; hint: { hint?: string } } {
  const [first = "", ...more] = messageOf(error).replace(/^hm: /, "").split("\n");
  const hintLines = more.map((l) => l.trim().replace(/^(→|->)\s*/, "")).filter((l) => l !== "");
  return { first, hint: hintLines.length > 0 ? { hint: hintLines.join("; ") } : {} };
}
