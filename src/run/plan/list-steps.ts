/**
 * `hm run --list`: the pipeline's steps (or the part `--only` picked) as a
 * table or JSON on stdout. Reads the IR only: no runner, engine or plugin
 * code is touched.
 */
import type { LoadedPipeline } from "../../pipeline/load.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import { DEFAULT_BUILTIN_RUNNER } from "../builtin-runners.ts";
import type { Selection } from "../events.ts";
import { partOf } from "../render/summary.ts";
import { defaultRunnerName } from "../runners.ts";
import { type StepRow, stepRows } from "./step-rows.ts";
import { formatTable } from "./table.ts";

export interface ListOptions {
  readonly pipeline: LoadedPipeline;
  readonly registry: PluginRegistry;
  readonly runnerFlag: string | undefined;
  readonly format: "human" | "json";
  readonly selection: Selection | undefined;
  readonly write: (text: string) => void;
}

export function listSteps(options: ListOptions): number {
  const { graph, entry } = options.pipeline;
  const fallback = options.runnerFlag ?? defaultRunnerName(options.registry, DEFAULT_BUILTIN_RUNNER);
  const rows = stepRows(
    graph,
    graph.graph.nodes.map(({ step }) => step.runner ?? fallback),
  );
  if (options.format === "json") {
    options.write(
      `${JSON.stringify({ pipeline: entry.slug, selection: options.selection ?? null, steps: rows }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = [
    `${planTitle(entry.slug, rows.length, options.selection)}`,
    ...formatTable(
      ["KEY", "NAME", "RUNNER", "IMAGE", "BUILDS IN", "AFTER", "CACHE"],
      rows.map((row) => [
        row.key,
        row.name,
        row.runner,
        row.image ?? "-",
        row.builds_in ?? "-",
        row.after.length === 0 ? "-" : row.after.join(", "),
        cacheCell(row),
      ]),
    ),
  ];
  options.write(`${lines.join("\n")}\n`);
  return 0;
}

/** `pipeline 'ci': 5 steps`, or `pipeline 'ci': (only 2 of 5 steps: --only test)`. */
export function planTitle(slug: string, steps: number, selection: Selection | undefined): string {
  if (selection !== undefined) return `pipeline '${slug}' ${partOf(selection, steps)}`;
  return `pipeline '${slug}': ${steps} ${steps === 1 ? "step" : "steps"}`;
}

function cacheCell(row: StepRow): string {
  if (row.cache === null) return "-";
  return row.cache.policy;
}
