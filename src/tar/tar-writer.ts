/**
 * A streaming writer of POSIX tar (ustar headers, pax extended headers for
 * what ustar cannot hold), the workspace archive's format (`docs/design.md`, "The workspace archive",
 * `docs/plugin-abi.md` §8). Entries go into one large buffer that is written
 * to the file whenever it fills, so a tree of small files costs few writes;
 * file content is read straight into that buffer, in chunks, never whole.
 *
 * Every member has uid/gid 0, empty user and group names and integer-second
 * mtimes; the same entries in the same order give the same bytes.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";

const BLOCK = 512;
/**
 * Content is read straight into this buffer (no copy), which is written with
 * `writeSync` when full; a `Bun.file().writer()` sink measured the same.
 */
const BUFFER_SIZE = 1 << 20;
/** The largest value of an 11-digit octal field (size, mtime): 8 GiB - 1. */
const MAX_OCTAL_11 = 0o77777777777;
const NAME_FIELD = 100;

export interface EntryMeta {
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number;
  /** Seconds since the epoch; fractions are dropped. */
  readonly mtime: number;
}

/**
 * What `addFile` found when it read the content: all of it; less than the
 * header's size (the rest is zeros); more (cut at the size); or a read error
 * part-way (the rest is zeros).
 */
export type FileCopy = "complete" | "shrank" | "grew" | "unreadable";

export interface TarWriterOptions {
  /** Called between chunks of a large file, so a caller can let its event loop run. */
  readonly pause?: () => Promise<void>;
  /** Sees every byte written, in order (e.g. to hash the archive as it is written). */
  readonly observe?: (bytes: Uint8Array) => void;
}

export class TarWriter {
  readonly #fd: number;
  readonly #pause: (() => Promise<void>) | undefined;
  readonly #observe: ((bytes: Uint8Array) => void) | undefined;
  /** One spare byte past the capacity: `addFile` reads one byte more to notice a file that grew. */
  readonly #buffer = Buffer.allocUnsafe(BUFFER_SIZE + 1);
  #used = 0;
  #written = 0;

  private constructor(fd: number, options: TarWriterOptions) {
    this.#fd = fd;
    this.#pause = options.pause;
    this.#observe = options.observe;
  }

  /**
   * Creates `path`, replacing whatever is there. The caller must `finish` or
   * `abort` the writer. Replacing rather than truncating: ext4 writes a
   * truncated-then-rewritten file back on close (35 ms per 200 MB here), and
   * a symlink or hard link at `path` is not written through.
   */
  static create(path: string, options: TarWriterOptions = {}): TarWriter {
    rmSync(path, { force: true });
    return new TarWriter(openSync(path, "wx", 0o644), options);
  }

  /** `path` without a trailing slash; it is added. */
  addDirectory(path: string, meta: EntryMeta): void {
    this.#header(`${path}/`, "5", meta, 0, "");
  }

  /** `target` is stored as written, never resolved. */
  addSymlink(path: string, target: string, meta: EntryMeta): void {
    this.#header(path, "2", meta, 0, target);
  }

  /** A regular file whose content is in memory. */
  addBytes(path: string, meta: EntryMeta, content: Uint8Array): void {
    this.#header(path, "0", meta, content.length, "");
    this.#bytes(content);
    this.#zeros(padding(content.length));
  }

  /**
   * Writes a regular file of `size` bytes read from `fd` (at its current
   * position). The header is written first, so the member always holds
   * exactly `size` bytes: a file that shrank while being read is padded with
   * zeros, one that grew is cut at `size`. The result says which happened.
   */
  async addFile(path: string, meta: EntryMeta, size: number, fd: number): Promise<FileCopy> {
    this.#header(path, "0", meta, size, "");
    let remaining = size;
    let outcome: FileCopy = "complete";
    while (remaining > 0) {
      if (this.#used === BUFFER_SIZE) {
        this.#flush();
        await this.#pause?.();
      }
      const want = Math.min(remaining, BUFFER_SIZE - this.#used);
      // Asking for one byte past the end costs nothing and tells a file that grew.
      const ask = want === remaining ? want + 1 : want;
      const got = readOrFail(fd, this.#buffer, this.#used, ask);
      if (got <= 0) {
        outcome = got === 0 ? "shrank" : "unreadable";
        this.#zeros(remaining);
        break;
      }
      if (got > want) outcome = "grew";
      const kept = Math.min(got, want);
      this.#used += kept;
      remaining -= kept;
    }
    if (size === 0 && readOrFail(fd, this.#buffer, this.#used, 1) > 0) {
      outcome = "grew";
    }
    this.#zeros(padding(size));
    return outcome;
  }

  /**
   * A regular file whose `size` bytes are copied from `fd` at `position` (another archive's
   * member, see `src/run/workspace/pack-reuse.ts`). Unlike `addFile`, the source must hold
   * them all: a short read throws, since the header already promised the size.
   */
  async addFileRange(
    path: string,
    meta: EntryMeta,
    size: number,
    fd: number,
    position: number,
  ): Promise<void> {
    this.#header(path, "0", meta, size, "");
    let remaining = size;
    let at = position;
    while (remaining > 0) {
      if (this.#used === BUFFER_SIZE) {
        this.#flush();
        await this.#pause?.();
      }
      const want = Math.min(remaining, BUFFER_SIZE - this.#used);
      const got = readSync(fd, this.#buffer, this.#used, want, at);
      if (got <= 0) throw new Error(`${path}: the archive it is copied from ended ${remaining} bytes early`);
      this.#used += got;
      remaining -= got;
      at += got;
    }
    this.#zeros(padding(size));
  }

  /** Bytes written so far (buffered ones included): where the next member starts. */
  get position(): number {
    return this.#written + this.#used;
  }

  /** Ends the archive (two zero blocks), closes the file and returns its size in bytes. */
  finish(): number {
    this.#zeros(2 * BLOCK);
    this.#flush();
    closeSync(this.#fd);
    return this.#written;
  }

  /** Closes the file after a failure, if it is still open; the caller removes it. */
  abort(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // Already closed by a `finish` that failed after closing.
    }
  }

  #header(path: string, type: string, meta: EntryMeta, size: number, linkTarget: string): void {
    const mtime = Math.floor(meta.mtime);
    const pax: [string, string][] = [];
    if (Buffer.byteLength(path) > NAME_FIELD) pax.push(["path", path]);
    if (Buffer.byteLength(linkTarget) > NAME_FIELD) pax.push(["linkpath", linkTarget]);
    if (size > MAX_OCTAL_11) pax.push(["size", String(size)]);
    if (mtime < 0 || mtime > MAX_OCTAL_11) pax.push(["mtime", String(mtime)]);
    if (pax.length > 0) {
      const records = Buffer.from(pax.map(([key, value]) => paxRecord(key, value)).join(""));
      this.#block("PaxHeader", "x", 0o644, 0, records.length, "");
      this.#bytes(records);
      this.#zeros(padding(records.length));
    }
    this.#block(
      path,
      type,
      meta.mode & 0o7777,
      mtime < 0 || mtime > MAX_OCTAL_11 ? 0 : mtime,
      size > MAX_OCTAL_11 ? 0 : size,
      linkTarget,
    );
  }

  /** One ustar header block; names too long for their field were already put in a pax header. */
  #block(name: string, type: string, mode: number, mtime: number, size: number, linkTarget: string): void {
    this.#room(BLOCK);
    const buffer = this.#buffer;
    const start = this.#used;
    buffer.fill(0, start, start + BLOCK);
    buffer.write(name, start, NAME_FIELD, "utf8");
    octal(buffer, start + 100, 8, mode);
    octal(buffer, start + 108, 8, 0); // uid
    octal(buffer, start + 116, 8, 0); // gid
    octal(buffer, start + 124, 12, size);
    octal(buffer, start + 136, 12, mtime);
    buffer.fill(0x20, start + 148, start + 156); // checksum: spaces while summing
    buffer.write(type, start + 156, 1, "latin1");
    buffer.write(linkTarget, start + 157, NAME_FIELD, "utf8");
    buffer.write("ustar\u000000", start + 257, 8, "latin1");
    octal(buffer, start + 329, 8, 0); // devmajor
    octal(buffer, start + 337, 8, 0); // devminor
    let sum = 0;
    for (let i = start; i < start + BLOCK; i++) sum += buffer[i] as number;
    octal(buffer, start + 148, 7, sum); // six digits and a NUL; the eighth byte stays a space
    this.#used += BLOCK;
  }

  #bytes(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#used === BUFFER_SIZE) this.#flush();
      const n = Math.min(bytes.length - offset, BUFFER_SIZE - this.#used);
      this.#buffer.set(bytes.subarray(offset, offset + n), this.#used);
      this.#used += n;
      offset += n;
    }
  }

  #zeros(count: number): void {
    while (count > 0) {
      if (this.#used === BUFFER_SIZE) this.#flush();
      const n = Math.min(count, BUFFER_SIZE - this.#used);
      this.#buffer.fill(0, this.#used, this.#used + n);
      this.#used += n;
      count -= n;
    }
  }

  #room(bytes: number): void {
    if (this.#used + bytes > BUFFER_SIZE) this.#flush();
  }

  #flush(): void {
    this.#observe?.(this.#buffer.subarray(0, this.#used));
    let offset = 0;
    while (offset < this.#used) offset += writeSync(this.#fd, this.#buffer, offset, this.#used - offset);
    this.#written += this.#used;
    this.#used = 0;
  }
}

/** The bytes read, 0 at the end of the file, -1 on a read error (the header is already out). */
function readOrFail(fd: number, buffer: Buffer, at: number, length: number): number {
  try {
    return readSync(fd, buffer, at, length, null);
  } catch {
    return -1;
  }
}

/** Zero bytes that bring `size` to a whole number of blocks. */
function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** A NUL-terminated, zero-padded octal number filling `width` bytes. */
function octal(buffer: Buffer, at: number, width: number, value: number): void {
  let rest = value;
  for (let i = at + width - 2; i >= at; i--) {
    buffer[i] = 0x30 + (rest % 8);
    rest = Math.floor(rest / 8);
  }
  buffer[at + width - 1] = 0;
}

/** `"<length> <key>=<value>\n"`, where the length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = Buffer.byteLength(key) + Buffer.byteLength(value) + 3; // space, '=', newline
  let length = body + String(body).length;
  if (String(length).length > String(body).length) length += 1;
  return `${length} ${key}=${value}\n`;
}
