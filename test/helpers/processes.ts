/** What tests check of real processes and of a run's state, read straight from /proc and SQLite. */
import { Database } from "bun:sqlite";
import { existsSync, readdirSync, readFileSync } from "node:fs";
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

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const USER_HZ =
  Number(Bun.spawnSync(["getconf", "CLK_TCK"], { stdout: "pipe" }).stdout.toString().trim()) || 100;

/**
 * The CPU time (user + system, in seconds) a process has used, or null when it is gone: a
 * kernel CPU limit is reached after this much CPU, whatever the machine's load makes of wall time.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15; fields[0] is field 3.
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return null;
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

/**
 * The pids of the runs recorded under a state directory (each run's owner.json): the build
 * children, which `hm gc` must find gone before it reaps their runs.
 */
export function runOwners(state: string): number[] {
  const runs = join(state, "runs");
  if (!existsSync(runs)) return [];
  return readdirSync(runs).flatMap((run) => {
    try {
      return [(JSON.parse(readFileSync(join(runs, run, "owner.json"), "utf8")) as { pid: number }).pid];
    } catch {
      return [];
    }
  });
}

/**
 * Waits until none of `pids` runs, for up to `limitMs`: a killed process ends only once the
 * (loaded) kernel schedules it, and a build child once it is told its supervisor died. The
 * caller then checks what it expects, so a process that never ends still fails the test.
 */
export async function whenGone(pids: readonly number[], limitMs = 10_000): Promise<void> {
  for (let waited = 0; waited < limitMs && pids.some(running); waited += 20) await Bun.sleep(20);
}
