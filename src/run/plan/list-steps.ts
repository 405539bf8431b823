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
import { stepRows } from "./step-rows.ts";
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
        afterCell(row.after),
        row.cache?.policy ?? "-",
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

/** Steps after a `wait()` wait for everything above it: the table names a few, the JSON all. */
const AFTER_SHOWN = 3;

function afterCell(after: readonly string[]): string {
  if (after.length === 0) return "-";
  if (after.length <= AFTER_SHOWN + 1) return after.join(", ");
  return `${after.slice(0, AFTER_SHOWN).join(", ")} and ${after.length - AFTER_SHOWN} more`;
}
