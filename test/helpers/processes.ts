/** What tests check of real processes and of a run's state, read straight from /proc and SQLite. */
import { Database } from "bun:sqlite";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A process that exists and is not a zombie (a zombie has already stopped). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Build- and step-scope KV rows left in a state directory (a finished or reaped run leaves none). */
export function runScopedRows(state: string): number {
  if (!existsSync(join(state, "kv.sqlite"))) return 0;
  const db = new Database(join(state, "kv.sqlite"), { readonly: true });
  try {
    return (db.query("SELECT count(*) AS n FROM kv WHERE scope != 'plugin'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}
