/**
 * A trace's owner and its contributors. The hm the user started owns the
 * trace: before anything runs it writes (and removes) the temporary sibling
 * the trace will be written to, so a path that cannot be written fails up
 * front, and makes the fragment (fragment.ts). It records its own spans
 * there, and when its command ends (or its build child died) turns the
 * fragment into the trace file, written to that sibling and renamed, then
 * removes the fragment. A build child (src/cli/build-child.ts) joins the
 * fragment its supervisor made and appends its own spans under its own pid.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { writeFileAtomically } from "../atomic-file.ts";
import { HmError, messageOf } from "../errors.ts";
import { assembleTrace, traceText } from "./assemble.ts";
import { type FragmentWriter, fragmentPath, openFragment } from "./fragment.ts";
import { nowUs, Recorder } from "./recorder.ts";
import { startTracing, stopTracing } from "./tracer.ts";

export interface TraceSession {
  /** Writes the trace file from everything recorded; throws an HmError naming the path when it cannot. */
  finish(about: Record<string, string>): void;
}

/** Starts the trace this process owns; an HmError (exit 2) names `tracePath` when it cannot be written. */
export function openTraceSession(tracePath: string, processName: string): TraceSession {
  const unwritable = (why: string) =>
    new HmError("E_USAGE", `--debug-trace ${tracePath}: cannot write the trace there (${why})`, {
      hint: "give a file path in a directory that exists and that you can write to",
    });
  if (isDirectory(tracePath)) throw unwritable("it is a directory");
  // The name writeFileAtomically writes first: if it can be made now, the trace can be written later.
  const probe = `${tracePath}.${process.pid}.tmp`;
  try {
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    throw unwritable(reasonOf(error));
  }
  const fragment = fragmentPath(process.pid);
  let writer: FragmentWriter;
  try {
    writer = openFragment(fragment, true);
  } catch (error) {
    throw new HmError("E_USAGE", `--debug-trace: cannot make ${fragment} (${reasonOf(error)})`, {
      hint: "TMPDIR names the temporary directory; it must exist and be writable",
    });
  }
  startTracing(new Recorder(writer.write, process.pid, processName, 0));
  return {
    finish(about) {
      stopTracing();
      writer.close();
      try {
        const trace = assembleTrace(readFileSync(fragment, "utf8"), nowUs(), about);
        writeFileAtomically(tracePath, traceText(trace));
      } catch (error) {
        throw new HmError(
          "E_USAGE",
          `--debug-trace ${tracePath}: the trace was not written (${messageOf(error)})`,
        );
      } finally {
        rmSync(fragment, { force: true });
      }
    },
  };
}

/**
 * Appends this process's spans to the trace its owner (pid `ownerPid`)
 * opened; without that fragment (the owner is gone, or hm was started by
 * hand) this process records nothing.
 */
export function joinTrace(ownerPid: number, processName: string): void {
  try {
    const writer = openFragment(fragmentPath(ownerPid), false);
    startTracing(new Recorder(writer.write, process.pid, processName, 1));
  } catch {
    // No fragment: nobody would read the spans.
  }
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === "ENOENT") return "its directory does not exist";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOTDIR") return "a parent is not a directory";
  if (code === "EROFS") return "read-only file system";
  return messageOf(error);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
