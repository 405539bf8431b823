/** Picking the pipeline a command works on (README). */
import { HmError } from "../errors.ts";
import { didYouMean } from "../suggest.ts";
import type { LoadedPipeline } from "./load.ts";

/** Where `hm init` writes its starter (src/init's PIPELINE_FILE; test/pipeline/no-pipelines-hint.test.ts keeps them equal). */
const STARTER = ".hm/pipeline.ts";

/** The pipeline named `slug`; without a slug, the only one the project declares. */
export function selectPipeline(
  pipelines: readonly LoadedPipeline[],
  slug: string | undefined,
): LoadedPipeline {
  const slugs = pipelines.map((p) => p.entry.slug);
  if (slug === undefined) {
    const only = pipelines[0];
    if (pipelines.length === 1 && only !== undefined) return only;
    if (pipelines.length === 0) {
      throw new HmError("E_PIPELINE_NOT_FOUND", "no pipelines declared in this repo", {
        hint: `define one in .hm/ (hm init writes a starter to ${STARTER})`,
      });
    }
    throw new HmError("E_PIPELINE_NOT_FOUND", `this repo declares pipelines: ${slugs.join(", ")}`, {
      hint: "pass one as the first argument",
    });
  }
  const match = pipelines.find((p) => p.entry.slug === slug);
  if (match !== undefined) return match;
  throw new HmError("E_PIPELINE_NOT_FOUND", `pipeline '${slug}' not found${didYouMean(slug, slugs)}`, {
    hint:
      slugs.length > 0
        ? `available: ${slugs.join(", ")}`
        : `available: (none); define one in .hm/ (hm init writes a starter to ${STARTER})`,
  });
}
