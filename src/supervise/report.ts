/**
 * The build child's side of the report pipe (protocol.ts). Off unless
 * `startReporting` was called (hm run in-process, tests, other commands):
 * then every function here does nothing. Writes are synchronous and small;
 * a supervisor that went away turns reporting off.
 */
import { writeSync } from "node:fs";
import type { ReportLine } from "./protocol.ts";

let reportFd: number | null = null;
let nextCallId = 1;
/** Step execution id → the name a person knows it by, while it runs. */
const stepNames = new Map<string, string>();

export function startReporting(fd: number): void {
  reportFd = fd;
}

export function reporting(): boolean {
  return reportFd !== null;
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

/** Reports a plugin call starting; returns the id `reportCallEnd` takes (0 when not reporting). */
export function reportCallStart(plugin: string, method: number, stepId: string | null): number {
  if (reportFd === null) return 0;
  const id = nextCallId++;
  const step = stepId === null ? null : (stepNames.get(stepId) ?? stepId);
  report({ t: "call", id, plugin, method, step });
  return id;
}

export function reportCallEnd(id: number): void {
  if (id !== 0) report({ t: "done", id });
}
