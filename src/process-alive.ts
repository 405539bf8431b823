import { readFileSync } from "node:fs";

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

interface ProcStat {
  readonly state: string;
  readonly pgrp: number;
  readonly startTime: number;
}

/** Fields of /proc/<pid>/stat we need, or null when the process is gone. */
export function procStat(pid: number | string): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Field 2 (the name) may hold spaces and ')': count from its last ')'. Field 3 is fields[0].
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const pgrp = Number(fields[2]);
  const startTime = Number(fields[19]);
  return Number.isFinite(pgrp) && Number.isFinite(startTime)
    ? { state: fields[0] ?? "", pgrp, startTime }
    : null;
}

/**
 * Whether `pid` is a process that still runs: not gone, and not a zombie
 * (a killed hm whose parent died too waits as one until init reaps it, and
 * where init never reaps, forever; its run is over all the same).
 */
export function processRunning(pid: number): boolean {
  if (!processAlive(pid)) return false;
  return procStat(pid)?.state !== "Z";
}
