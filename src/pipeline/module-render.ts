/**
 * Evaluates one pipeline module with the embedded SDK and renders its
 * pipelines to envelope entries. Runs only inside the evaluation process
 * (`eval-child.ts`), never in hm's own: a pipeline file is code hm did not
 * write. Every failure is an HmError naming the file (with the line when the
 * file threw), the pipeline and, where it applies, the step and field.
 */
import { HmError, messageOf } from "../errors.ts";
import { describeValue, moduleDefinitions } from "./module-exports.ts";
import { buildEnvelope, type EnvelopePipeline, type PipelineDefinition } from "./sdk/envelope.ts";
import { SdkError } from "./sdk/errors.ts";
import { withProjectDir } from "./sdk/toolchains/project-dir.ts";
import { collectSdkWarnings, type SdkWarning } from "./sdk/warnings.ts";
import { registerSdkModules } from "./sdk-modules.ts";
import { bunLoadError, projectFrames, shownPath } from "./source-location.ts";

interface ModuleToRender {
  /** Absolute path of the pipeline file. */
  readonly path: string;
  /** The project root: toolchains read files relative to it, messages name files relative to it. */
  readonly root: string;
  /** Unix seconds for ttl cache keys. */
  readonly now: number;
}

/**
 * Each pipeline the file defines, as the JSON the SDK renders (what `hm
 * render` prints). Warnings, each already located (`.hm/ci.ts:3: unknown
 * step option …`), go to `warnings`, also when the file then fails.
 */
export async function renderModule(
  { path, root, now }: ModuleToRender,
  warnings: string[],
): Promise<unknown[]> {
  const source = shownPath(path, root);
  registerSdkModules();
  let mod: Record<string, unknown>;
  try {
    mod = await collectSdkWarnings(
      // Toolchains read manifests and lockfiles from the project, not from the working directory.
      () => withProjectDir(root, () => import(path)),
      (sdkWarnings) => warnings.push(...locatedWarnings(sdkWarnings, source, root)),
    );
  } catch (error) {
    throw evaluationError(source, error, path, root);
  }
  const exported = moduleDefinitions(mod, source);
  warnings.push(...exported.warnings);
  return exported.definitions.map((definition) => renderOne(definition, source, root, now));
}

function renderOne(definition: PipelineDefinition, source: string, root: string, now: number): unknown {
  try {
    const rendered = buildEnvelope([definition], { basePath: root, now }).pipelines[0] as EnvelopePipeline;
    // What `hm render` prints is the JSON form: hand over exactly that.
    return JSON.parse(JSON.stringify(rendered));
  } catch (error) {
    const { first, hint } = shownParts(error);
    throw new HmError("E_PIPELINE_RENDER", `${source}: pipeline '${definition.slug}': ${first}`, {
      ...hint,
      cause: error,
    });
  }
}

/** Each warning once, at the line of the project file that made the SDK call. */
function locatedWarnings(warnings: readonly SdkWarning[], source: string, root: string): string[] {
  const lines = new Set<string>();
  for (const { message, stack } of warnings) {
    const frame = projectFrames(stack, root)[0];
    lines.add(`${frame ? `${shownPath(frame.file, root)}:${frame.line}` : source}: ${message}`);
  }
  return [...lines];
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
  if (!(error instanceof Error)) {
    // `throw 42` carries no stack: name the file and what was thrown.
    return new HmError("E_PIPELINE_RENDER", `${source}: threw ${describeValue(error)}, not an Error`, {
      hint: 'throw new Error("…") so hm can show a message and the line it came from',
    });
  }
  const { first, hint } = shownParts(error);
  const frames = error.stack ? projectFrames(error.stack, root) : [];
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

/**
 * The parts of an error hm shows: an SDK error's own `what` and `hint`; of
 * any other error, the first line of its message, the further lines as the
 * hint (an HmError's message is one line).
 */
function shownParts(error: unknown): { first: string; hint: { hint?: string } } {
  if (error instanceof SdkError) {
    return { first: error.what, hint: error.hint === undefined ? {} : { hint: error.hint } };
  }
  const [first = "", ...more] = messageOf(error).split("\n");
  const hintLines = more.map((l) => l.trim()).filter((l) => l !== "");
  return { first, hint: hintLines.length > 0 ? { hint: hintLines.join("; ") } : {} };
}
