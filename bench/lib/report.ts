/** What a benchmark reports, and RESULTS.md made from those reports. */
import { cpus, totalmem } from "node:os";

export interface Table {
  readonly caption?: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** One of the targets, as this run measured it. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export interface Section {
  readonly tables: readonly Table[];
  readonly targets?: readonly TargetCheck[];
  /** Method, targets met or missed and why: markdown paragraphs or list items. */
  readonly notes: readonly string[];
}

export interface BenchOptions {
  /** Tiny sizes, for the smoke test: the figures mean nothing. */
  readonly small: boolean;
}

export interface Benchmark {
  readonly name: string;
  readonly title: string;
  run(options: BenchOptions): Promise<Section>;
}

export function markdownTable(table: Table): string {
  const cellText = (cell: string) => cell.replaceAll("|", "\\|");
  const lines = [
    `| ${table.columns.map(cellText).join(" | ")} |`,
    `|${table.columns.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...table.rows.map((row) => `| ${row.map(cellText).join(" | ")} |`),
  ];
  return table.caption ? `${table.caption}\n\n${lines.join("\n")}` : lines.join("\n");
}

export function sectionMarkdown(bench: Pick<Benchmark, "name" | "title">, section: Section): string {
  return [
    `## ${bench.title}`,
    `\`bun run bench ${bench.name}\``,
    ...section.tables.map(markdownTable),
    ...section.notes,
  ].join("\n\n");
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly bun: string;
  readonly date: string;
}

export function machine(): Machine {
  const uname = Bun.spawnSync(["uname", "-sr"], { stdout: "pipe" }).stdout.toString().trim();
  return {
    cpu: cpus()[0]?.model ?? "unknown CPU",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: uname,
    bun: Bun.version,
    date: new Date().toISOString(),
  };
}

export async function loadAverage(): Promise<string> {
  const text = await Bun.file("/proc/loadavg")
    .text()
    .catch(() => "");
  return text.split(" ").slice(0, 3).join(" ");
}
