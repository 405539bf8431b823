/**
 * The plugin calls in flight, in memory a supervisor can read after the
 * child died: a file both map (the child through Bun.mmap, MAP_SHARED), one
 * fixed-size record per call until its native code returns. Starting or ending a call is a few
 * stores, no system call and no wake-up of the supervisor: a pipe message
 * per call woke it twice per step and cost a 1 000-step run a third of its
 * time. Records are handed out by writer.ts (a run has several worker
 * pools, whose slots overlap). A record is `<length u16 LE><plugin>\0<method number>\0<step>`,
 * length 0 when the slot is free; names are cut to fit.
 */
import { closeSync, ftruncateSync, openSync, readSync } from "node:fs";

export const CALL_SLOTS = 4096;
const RECORD_BYTES = 256;
const TABLE_BYTES = CALL_SLOTS * RECORD_BYTES;

export interface InFlightCall {
  readonly plugin: string;
  readonly method: number;
  readonly step: string | null;
}

/** Creates the (sparse) table file at `path`, private to this user; returns an fd to read it later. */
export function createCallTable(path: string): number {
  const fd = openSync(path, "wx+", 0o600);
  ftruncateSync(fd, TABLE_BYTES);
  return fd;
}

/** The child's writer over the mapped table. */
export class CallTableWriter {
  private readonly encoder = new TextEncoder();
  constructor(private readonly table: Uint8Array) {}

  static open(path: string): CallTableWriter {
    return new CallTableWriter(Bun.mmap(path));
  }

  start(slot: number, call: InFlightCall): void {
    if (slot < 0 || slot >= CALL_SLOTS) return;
    const at = slot * RECORD_BYTES;
    const text = `${call.plugin}\0${call.method}\0${call.step ?? ""}`;
    const { written } = this.encoder.encodeInto(text, this.table.subarray(at + 2, at + RECORD_BYTES));
    this.table[at + 1] = written >> 8;
    this.table[at] = written & 0xff;
  }

  end(slot: number): void {
    if (slot < 0 || slot >= CALL_SLOTS) return;
    const at = slot * RECORD_BYTES;
    this.table[at] = 0;
    this.table[at + 1] = 0;
  }
}

/** The calls the table holds (read by the supervisor once the child is gone), then closes `fd`. */
export function readCallTable(fd: number): InFlightCall[] {
  const table = new Uint8Array(TABLE_BYTES);
  try {
    readSync(fd, table, 0, TABLE_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const decoder = new TextDecoder();
  const calls: InFlightCall[] = [];
  for (let at = 0; at < TABLE_BYTES; at += RECORD_BYTES) {
    const length = (table[at] as number) | ((table[at + 1] as number) << 8);
    if (length === 0 || length > RECORD_BYTES - 2) continue;
    const [plugin = "", method = "", step = ""] = decoder
      .decode(table.subarray(at + 2, at + 2 + length))
      .split("\0");
    calls.push({ plugin, method: Number(method), step: step === "" ? null : step });
  }
  return calls;
}
