/**
 * Reads a project's pipelines: `.ir.json` files here, pipeline modules in a
 * contained process (contained-eval.ts) that renders them with the embedded
 * SDK. Returns the discovery envelope entries plus each pipeline's checked
 * graph. Every failure names the file (with line when a pipeline file
 * throws), the pipeline slug and, where it applies, the step key and field.
 */

import { readFileSync } from "node:fs";
import * as v from "valibot";
import { HmError, messageOf } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { GraphIR } from "../protocol/ir.ts";
import { evaluateContained, type ModuleOutcome } from "./contained-eval.ts";
import { RenderedEntrySchema } from "./eval-protocol.ts";
import { parseIR } from "./graph.ts";
import { NO_DEFINITION_HINT } from "./module-exports.ts";
import { listPipelineFiles, type Project } from "./project.ts";
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
  /** Where warnings go (Python files ignored, the SDK's warnings). */
  readonly log: Logger;
  /** Unix seconds used for ttl cache keys; defaults to `SOURCE_DATE_EPOCH`, else now. */
  readonly now?: number;
  /** Variables the pipeline files must not see (`hm run --secret`): left out of their environment. */
  readonly hiddenEnv?: readonly string[];
  /** Seconds each pipeline file may take (`pipeline.eval_timeout`); `HM_EVAL_TIMEOUT` wins. */
  readonly evalTimeout?: number | undefined;
}

export async function loadPipelines(project: Project, options: LoadOptions): Promise<LoadedPipeline[]> {
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
    options.log.warn(`ignoring Python pipeline files (only TypeScript is supported): ${names}`);
  }

  const now = options.now ?? renderTime();
  const modules = files.filter((f) => f.kind !== "ir").map((f) => f.path);
  const outcomes =
    modules.length > 0
      ? await evaluateContained(
          { root: project.root, now, paths: modules },
          { hiddenEnv: options.hiddenEnv ?? [], configuredLimit: options.evalTimeout },
        )
      : new Map<string, ModuleOutcome>();
  const loaded: LoadedPipeline[] = [];
  const helpers: string[] = [];
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
    return { entry, graph: parseIR(entry.definition), source };
  } catch (error) {
    throw new HmError("E_PIPELINE_INVALID", `${source}: pipeline '${entry.slug}': ${messageOf(error)}`);
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
