/**
 * Process groups a run's plugins started, killed when the run is over
 * without having stopped them (hm killed, a plugin crashed, a third
 * Ctrl-C). A plugin records each child it starts as "<pid> <start time>"
 * lines in `<its run path>/.process-groups` (the shell runner does, from the
 * child itself before exec); the pid is the group's id.
 *
 * A recorded number is only killed while it still names that group: the
 * leader is alive with the recorded start time (field 22 of
 * /proc/<pid>/stat), or the leader is gone and some process still in that
 * group started no earlier than it did (Linux never hands out a pid that is
 * still some group's id). Without /proc (macOS) nothing can be checked, so
 * nothing is killed.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { procStat } from "../process-alive.ts";

const GROUP_RECORD = ".process-groups";

/** Whether group `pgid`, whose leader started at `startTime`, still has a process in it. */
function groupStillOurs(pgid: number, startTime: number): boolean {
  const leader = procStat(pgid);
  if (leader !== null) return leader.startTime === startTime && leader.pgrp === pgid;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const member = procStat(entry);
    if (member !== null && member.pgrp === pgid && member.startTime >= startTime) return true;
  }
  return false;
}

/** The groups recorded in `file`: pid → leader start time (clock ticks since boot). */
function recordedGroups(file: string): Map<number, number> {
  const groups = new Map<number, number>();
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return groups;
  }
  for (const line of text.split("\n")) {
    const match = /^(\d+) (\d+)$/.exec(line);
    if (match === null) continue; // a line cut by a kill, or junk: nothing to trust
    const pid = Number(match[1]);
    if (pid > 1) groups.set(pid, Number(match[2]));
  }
  return groups;
}

/** SIGKILLs every group recorded under `runPath` that still exists; returns how many. */
export function killRecordedGroups(runPath: string): number {
  const file = join(runPath, GROUP_RECORD);
  if (!existsSync("/proc/self/stat") || !existsSync(file)) return 0;
  let killed = 0;
  for (const [pgid, startTime] of recordedGroups(file)) {
    if (!groupStillOurs(pgid, startTime)) continue;
    try {
      process.kill(-pgid, "SIGKILL");
      killed++;
    } catch {
      // Gone meanwhile, or not ours to signal (EPERM): nothing more to do.
    }
  }
  return killed;
}
