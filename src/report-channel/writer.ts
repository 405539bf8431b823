/**
 * The build child's side of the report pipe (lines.ts) and call table
 * (call-table.ts), written from wherever the child's work happens (the
 * worker pool, plugin verbs, run-build, the run command); it imports none
 * of them, so every layer may write here. Off unless `startReporting` was
 * called (hm run in-process, tests, other commands): then every function
 * here does nothing. Writes are synchronous and small; a supervisor that
 * went away turns reporting off.
 */
import { writeSync } from "node:fs";
import { CALL_SLOTS, type CallTableWriter } from "./call-table.ts";
import type { ReportLine } from "./lines.ts";

let reportFd: number | null = null;
let calls: CallTableWriter | null = null;
/** Step execution id → the name a person knows it by, while it runs. */
const stepNames = new Map<string, string>();

export function startReporting(fd: number, table: CallTableWriter): void {
  reportFd = fd;
  calls = table;
}

export function report(line: ReportLine): void {
  if (reportFd === null) return;
  try {
    writeSync(reportFd, `${JSON.stringify(line)}\n`);
  } catch {
    reportFd = null;
  }
}

/** Remembers a queued step's name, so a crash during its plugin call can name it. */
export function nameStep(stepId: string, name: string): void {
  if (reportFd !== null) stepNames.set(stepId, name);
}

export function forgetStep(stepId: string): void {
  stepNames.delete(stepId);
}

/** Free call-table records (one process may have several worker pools, each with its own slots). */
const freeRecords: number[] = Array.from({ length: CALL_SLOTS }, (_, i) => CALL_SLOTS - 1 - i);

/** Notes a plugin call starting; returns its record for `reportCallEnd` (-1: not recorded). */
export function reportCallStart(plugin: string, method: number, stepId: string | null): number {
  if (calls === null) return -1;
  const record = freeRecords.pop();
  if (record === undefined) return -1;
  calls.start(record, { plugin, method, step: stepId === null ? null : (stepNames.get(stepId) ?? stepId) });
  return record;
}

/** Its native code returned. */
export function reportCallEnd(record: number): void {
  if (calls === null || record < 0) return;
  calls.end(record);
  freeRecords.push(record);
}
