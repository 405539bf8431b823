/**
 * Reads a project's pipelines: `.ir.json` files here, pipeline modules in a
 * contained process (contained-eval.ts) that renders them with the embedded
 * SDK. Returns the discovery envelope entries plus each pipeline's checked
 * graph. Every failure names the file (with line when a pipeline file
 * throws), the pipeline slug and, where it applies, the step key and field.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { HmError, messageOf } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { GraphIR } from "../protocol/ir.ts";
import { span } from "../trace/tracer.ts";
import { evaluateContained, type ModuleOutcome } from "./contained-eval.ts";
import { RenderedEntrySchema } from "./eval-protocol.ts";
import { parseIR } from "./graph.ts";
import { NO_DEFINITION_HINT } from "./module-exports.ts";
import { listPipelineFiles, type PipelineFile, type Project } from "./project.ts";
import { evaluatePython } from "./python/python-eval.ts";
import type { EnvelopePipeline } from "./sdk/envelope.ts";
import { shownPath } from "./source-location.ts";

export interface LoadedPipeline {
  /** The envelope entry, exactly as the SDK rendered it (printed byte for byte). */
  readonly entry: EnvelopePipeline;
  /** The same IR, validated and typed. */
  readonly graph: GraphIR;
  /** Path of the file that defined it, relative to the project root. */
  readonly source: string;
}

interface LoadOptions {
  /** Where warnings go (the language chosen when both exist, the SDK's warnings). */
  readonly log: Logger;
  /** Unix seconds used for ttl cache keys; defaults to `SOURCE_DATE_EPOCH`, else now. */
  readonly now?: number;
  /** Variables the pipeline files must not see (`hm run --secret`): left out of their environment. */
  readonly hiddenEnv?: readonly string[];
  /** Seconds each pipeline file may take (`pipeline.eval_timeout`); `HM_EVAL_TIMEOUT` wins. */
  readonly evalTimeout?: number | undefined;
}

export function loadPipelines(project: Project, options: LoadOptions): Promise<LoadedPipeline[]> {
  return span("load pipelines", () => loadAll(project, options));
}

async function loadAll(project: Project, options: LoadOptions): Promise<LoadedPipeline[]> {
  if (project.pipelineDir === null) return [];
  const listed = span("discover pipeline files", () => listPipelineFiles(project.pipelineDir as string));
  const shown = (path: string) => shownPath(path, project.root);
  const now = options.now ?? renderTime();
  const python = listed.python.map((name) => join(project.pipelineDir as string, name));
  const typescript = listed.files.filter((f) => f.kind !== "ir");
  if (python.length > 0 && typescript.length > 0) {
    // One language per project (docs/design.md, "Python pipelines"): TypeScript, as the reference's `hm run`.
    options.log.warn(
      `using the TypeScript pipelines (${typescript.map((f) => shown(f.path)).join(", ")}); ignoring the Python ones (${python.map(shown).join(", ")})`,
    );
  } else if (python.length > 0) {
    const irFiles = listed.files.filter((f) => f.kind === "ir");
    return loadPython(project.root, python, irFiles, now, shown, {
      hiddenEnv: options.hiddenEnv ?? [],
      configuredLimit: options.evalTimeout,
    });
  }
  const files = listed.files;

  const modules = files.filter((f) => f.kind !== "ir").map((f) => f.path);
  const outcomes =
    modules.length > 0
      ? await span(
          "evaluate TypeScript pipelines",
          () =>
            evaluateContained(
              { root: project.root, now, paths: modules },
              { hiddenEnv: options.hiddenEnv ?? [], configuredLimit: options.evalTimeout },
            ),
          { files: modules.length },
        )
      : new Map<string, ModuleOutcome>();
  const loaded: LoadedPipeline[] = [];
  const helpers: string[] = [];
  const slugSource = new Map<string, string>();
  for (const file of files) {
    const source = shown(file.path);
    if (file.kind === "ir") {
      claimSlug(slugSource, file.slug, source);
      loaded.push(irPipeline(file.path, source, file.slug));
      continue;
    }
    const outcome = outcomes.get(file.path);
    if (outcome === undefined) throw new HmError("E_INTERNAL", `${source} was not evaluated`);
    for (const warning of outcome.warnings) options.log.warn(warning);
    if (!outcome.ok) throw outcome.error;
    if (outcome.entries.length === 0) {
      helpers.push(source);
      options.log.debug(
        `${source} exports no pipeline definition: skipped (a helper the pipeline files import)`,
      );
    }
    for (const rendered of outcome.entries) {
      const pipeline = checkedEntry(rendered, source);
      claimSlug(slugSource, pipeline.entry.slug, source);
      loaded.push(pipeline);
    }
  }
  if (loaded.length === 0 && helpers.length > 0) {
    const what =
      helpers.length === 1
        ? `${helpers[0]} exports no pipeline definition`
        : `none of ${helpers.join(", ")} exports a pipeline definition`;
    throw new HmError("E_PIPELINE_RENDER", what, { hint: NO_DEFINITION_HINT });
  }
  return loaded;
}

/** A project whose pipelines are Python files (plus any `.ir.json`): one evaluation of them all. */
async function loadPython(
  root: string,
  python: string[],
  irFiles: PipelineFile[],
  now: number,
  shown: (path: string) => string,
  containment: Parameters<typeof evaluatePython>[1],
): Promise<LoadedPipeline[]> {
  const rendered = await span(
    "evaluate Python pipelines",
    () => evaluatePython({ root, now, paths: python }, containment),
    { files: python.length },
  );
  const loaded: LoadedPipeline[] = [];
  const slugSource = new Map<string, string>();
  for (const file of irFiles) {
    if (file.kind !== "ir") continue;
    const source = shown(file.path);
    claimSlug(slugSource, file.slug, source);
    loaded.push(irPipeline(file.path, source, file.slug));
  }
  for (const [path, entries] of rendered) {
    const source = shown(path);
    for (const entry of entries) {
      const pipeline = checkedEntry(entry, source);
      claimSlug(slugSource, pipeline.entry.slug, source);
      loaded.push(pipeline);
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

/** An entry the evaluation process rendered: checked here, as anything crossing into hm is. */
function checkedEntry(rendered: unknown, source: string): LoadedPipeline {
  const fields = v.safeParse(RenderedEntrySchema, rendered);
  if (!fields.success) {
    throw new HmError(
      "E_PIPELINE_INVALID",
      `${source}: the rendered pipeline is malformed: ${fields.issues[0].message}`,
    );
  }
  // The entry as rendered, not valibot's copy: `hm pipelines` prints it byte for byte.
  const entry = rendered as EnvelopePipeline;
  try {
    return { entry, graph: span("validate IR", () => parseIR(entry.definition), { source }), source };
  } catch (error) {
    throw new HmError("E_PIPELINE_INVALID", `${source}: pipeline '${entry.slug}': ${messageOf(error)}`);
  }
}

function irPipeline(path: string, source: string, slug: string): LoadedPipeline {
  const graph = span("validate IR", () => irFileGraph(path, source, slug), { source });
  const entry = { slug, name: slug, allow_manual: true, triggers: [], definition: graph };
  return { entry: entry as unknown as EnvelopePipeline, graph, source };
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
