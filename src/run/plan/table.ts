/** A plain text table: a header row, columns padded to their widest cell, the last column unpadded. */
import { oneLine } from "../render/format.ts";

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cells = [headers, ...rows].map((row) => row.map(oneLine));
  const widths = headers.map((_, c) => {
    let width = 0;
    for (const row of cells) width = Math.max(width, [...(row[c] ?? "")].length);
    return width;
  });
  return cells.map((row) =>
    row
      .map((cell, c) =>
        c === row.length - 1 ? cell : cell + " ".repeat((widths[c] ?? 0) - [...cell].length),
      )
      .join("  ")
      .trimEnd(),
  );
}
