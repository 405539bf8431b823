/**
 * Where the processes of one trace append their records: a file in the
 * temporary directory named after the pid of the hm that owns the trace (so
 * the build child finds it from its supervisor's pid alone), never beside the
 * trace, which may be in the project hm is packing. Each
 * record is one `write` to a file opened for appending, so lines from two
 * processes never interleave within a line, and what was written survives a
 * process killed right after.
 */
import { closeSync, constants as fs, openSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TraceRecord } from "./record.ts";

export function fragmentPath(ownerPid: number): string {
  return join(tmpdir(), `hm-trace-${ownerPid}.part`);
}

export interface FragmentWriter {
  readonly write: (record: TraceRecord) => void;
  close(): void;
}

/**
 * Opens the fragment for appending: `create` makes it (the owner, which must
 * be able to), else it must exist (a build child joins only the trace its
 * supervisor opened). Throws what the file system said.
 */
export function openFragment(path: string, create: boolean): FragmentWriter {
  const flags = fs.O_WRONLY | fs.O_APPEND | (create ? fs.O_CREAT | fs.O_TRUNC : 0);
  let fd: number | null = openSync(path, flags, 0o600);
  return {
    write(record) {
      if (fd === null) return;
      try {
        writeSync(fd, `${JSON.stringify(record)}\n`);
      } catch {
        // A full disk loses trace lines, never the build.
      }
    },
    close() {
      if (fd === null) return;
      closeSync(fd);
      fd = null;
    },
  };
}
