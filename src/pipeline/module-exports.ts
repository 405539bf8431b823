/**
 * What a pipeline module exports, checked at the edge: the default export or
 * `pipelines`, one definition or an array of them, each
 * `{ slug, name?, allowManual?, triggers?, pipeline: pipeline([...]) }`. A
 * wrong shape is named by export, index and field, with what was expected
 * and what was found, instead of failing later inside the renderer.
 */
import * as v from "valibot";
import { HmError } from "../errors.ts";
import type { PipelineDefinition } from "./sdk/envelope.ts";
import { nearestName } from "./sdk/options.ts";
import { Step } from "./sdk/step.ts";

const DEFINITION_SHAPE = '{ slug: "ci", pipeline: pipeline([...]) }';
const DEFINITION_FIELDS = ["slug", "name", "allowManual", "triggers", "pipeline"] as const;

interface ModuleDefinitions {
  readonly definitions: PipelineDefinition[];
  /** Fields no definition has (a typo such as `allow_manual`): named, not fatal. */
  readonly warnings: string[];
}

/** What to do when no pipeline file exports a definition. */
export const NO_DEFINITION_HINT = `export default ${DEFINITION_SHAPE} (or export const pipelines = [...]) from a file in .hm/`;

/**
 * The definitions `mod` exports; `source` is the file as the user sees it.
 * A module with neither export defines none: it is a helper the pipeline
 * files import, skipped as the reference skips it (load.ts says so with -v,
 * and stops when no file defines any).
 */
export function moduleDefinitions(mod: Record<string, unknown>, source: string): ModuleDefinitions {
  const [exportName, exported] =
    mod.default !== undefined
      ? ["export default", mod.default]
      : mod.pipelines !== undefined
        ? ["export const pipelines", mod.pipelines]
        : [null, undefined];
  if (exportName === null) return { definitions: [], warnings: [] };
  if (Array.isArray(exported) && exported.length === 0) {
    throw new HmError("E_PIPELINE_RENDER", `${source}: ${exportName} is an empty list of pipelines`, {
      hint: `put at least one ${DEFINITION_SHAPE} in it`,
    });
  }
  const list: unknown[] = Array.isArray(exported) ? exported : [exported];
  const warnings: string[] = [];
  const definitions = list.map((candidate, i) => {
    const where = Array.isArray(exported) ? `${exportName}[${i}]` : exportName;
    const result = v.safeParse(DefinitionSchema, candidate);
    if (!result.success) throw wrongShape(`${source}: ${where}`, result.issues[0], candidate);
    for (const field of Object.keys(candidate as object)) {
      if ((DEFINITION_FIELDS as readonly string[]).includes(field)) continue;
      const close = nearestName(field, DEFINITION_FIELDS);
      warnings.push(
        `${source}: ${where}: unknown pipeline definition field '${field}'${close ? ` (did you mean '${close}'?)` : ""}`,
      );
    }
    return candidate as PipelineDefinition;
  });
  return { definitions, warnings };
}

function wrongShape(where: string, issue: v.BaseIssue<unknown>, candidate: unknown): HmError {
  const slug = (candidate as { slug?: unknown } | null)?.slug;
  const named = typeof slug === "string" && slug !== "" ? ` (pipeline '${slug}')` : "";
  return new HmError("E_PIPELINE_RENDER", `${where}${named}: ${issue.message}`, { hint: hintFor(issue) });
}

function hintFor(issue: v.BaseIssue<unknown>): string {
  const field = issue.path?.[0]?.key;
  if (field === "pipeline" && Array.isArray(issue.input)) {
    return "write pipeline: pipeline([a, b]) rather than pipeline: [a, b]";
  }
  if (field === "pipeline" && issue.input instanceof Step) return "wrap the step: pipeline: pipeline([step])";
  if (field === undefined && isPipelineIR(issue.input)) {
    return `wrap it in a definition: ${DEFINITION_SHAPE}`;
  }
  return `a pipeline definition is ${DEFINITION_SHAPE}, with optional name, allowManual and triggers`;
}

/** Tell-tale values, named as the user would recognise them. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Step) return "a step";
  if (typeof value === "function") return "a function";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value !== "object") return `the ${typeof value} ${String(value)}`;
  if (isPipelineIR(value)) return "the result of pipeline([...])";
  const keys = Object.keys(value);
  return keys.length === 0 ? "an empty object" : `an object with ${keys.map((k) => `'${k}'`).join(", ")}`;
}

function isPipelineIR(value: unknown): boolean {
  const graph = (value as { graph?: { nodes?: unknown; edges?: unknown } } | null)?.graph;
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { version?: unknown }).version === "string" &&
    Array.isArray(graph?.nodes) &&
    Array.isArray(graph?.edges)
  );
}

const got = (issue: { input: unknown }) => ` (got ${describeValue(issue.input)})`;
const MISSING_SLUG = "'slug' is missing: name the pipeline, e.g. slug: \"ci\"";
const MISSING_PIPELINE = "'pipeline' is missing: it holds the steps, e.g. pipeline: pipeline([sh(\"make\")])";

/** A non-empty plain object, not a list, a step or a bare pipeline([...]) result. */
function isDefinitionLike(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0 &&
    !(value instanceof Step) &&
    !isPipelineIR(value)
  );
}

const DefinitionSchema = v.pipe(
  v.custom<object>(
    isDefinitionLike,
    (issue) => `expected a pipeline definition ${DEFINITION_SHAPE} or an array of them${got(issue)}`,
  ),
  v.object(
    {
      slug: v.pipe(
        v.string((issue) =>
          issue.input === undefined ? MISSING_SLUG : `'slug' must be a string${got(issue)}`,
        ),
        v.regex(/^\S+$/, (issue) => `'slug' must be a non-empty word without spaces${got(issue)}`),
      ),
      name: v.optional(v.string((issue) => `'name' must be a string${got(issue)}`)),
      allowManual: v.optional(v.boolean((issue) => `'allowManual' must be a boolean${got(issue)}`)),
      triggers: v.optional(
        v.array(
          v.custom<object>(
            (t) => typeof t === "object" && t !== null && !Array.isArray(t),
            (issue) => `each trigger must come from push() or pullRequest()${got(issue)}`,
          ),
          (issue) => `'triggers' must be an array${got(issue)}`,
        ),
      ),
      pipeline: v.custom<object>(isPipelineIR, (issue) =>
        issue.input === undefined
          ? MISSING_PIPELINE
          : `'pipeline' must be the result of pipeline([...])${got(issue)}`,
      ),
    },
    (issue) =>
      // Reached only for a missing field, which valibot reports against the object.
      issue.expected === '"slug"'
        ? MISSING_SLUG
        : issue.expected === '"pipeline"'
          ? MISSING_PIPELINE
          : "a required field is missing",
  ),
);
