/**
 * Reads workspace archives for `archive_read` / `archive_total_size`. An
 * archive is a tar file on disk registered under a UUID; reads are positional
 * and synchronous (they run inside a plugin's host call).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { uuidFromBytes } from "../protocol/index.ts";

export class ArchiveReader {
  private readonly fds = new Map<string, number>();

  constructor(private readonly archives: Readonly<Record<string, string>>) {}

  totalSize(id: Uint8Array): number {
    const fd = this.open(id);
    return fd === null ? 0 : fstatSync(fd).size;
  }

  read(id: Uint8Array, offset: number, max: number): Uint8Array {
    const fd = this.open(id);
    if (fd === null) return new Uint8Array(0);
    const size = fstatSync(fd).size;
    if (offset >= size) return new Uint8Array(0);
    const buffer = new Uint8Array(Math.min(max, size - offset));
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, offset + filled);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private open(id: Uint8Array): number | null {
    if (id.length !== 16) return null;
    const uuid = uuidFromBytes(id);
    const path = this.archives[uuid];
    if (path === undefined) return null;
    let fd = this.fds.get(uuid);
    if (fd === undefined) {
      fd = openSync(path, "r");
      this.fds.set(uuid, fd);
    }
    return fd;
  }
}
