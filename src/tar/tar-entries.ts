/**
 * Reads the entries of a tar that `tar-writer.ts` wrote (ustar headers, pax
 * extended headers for long paths, link targets, sizes and mtimes), in
 * order, with the byte range each occupies, so a caller can copy an entry
 * verbatim or re-emit it under another name. Not a general tar reader: GNU
 * long names, sparse files and global pax headers are refused with an error.
 */
const BLOCK = 512;
const decoder = new TextDecoder();

export type EntryType = "file" | "directory" | "symlink";

export interface TarEntry {
  /** As stored, without the trailing slash of a directory. */
  readonly path: string;
  readonly type: EntryType;
  /** Permission bits. */
  readonly mode: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly size: number;
  /** A symlink's target; "" otherwise. */
  readonly linkTarget: string;
  /** Where the entry starts (its pax header, if it has one) in the archive. */
  readonly start: number;
  /** Where its content starts. */
  readonly dataStart: number;
  /** Just past its content's padding: `archive.subarray(start, end)` is the whole entry. */
  readonly end: number;
}

/** Every entry of `archive`, in order; throws on a header that is not one `TarWriter` writes. */
export function tarEntries(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let pax: Map<string, string> | null = null;
  let entryStart = 0;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (isZeroBlock(header)) break;
    if (pax === null) entryStart = offset;
    const type = String.fromCharCode(header[156] ?? 0);
    const size = Number(pax?.get("size") ?? octalField(header, 124, 12));
    const dataStart = offset + BLOCK;
    const end = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (end > archive.length) throw new Error(`tar entry at byte ${offset} runs past the end of the archive`);
    if (type === "x") {
      pax = paxRecords(archive.subarray(dataStart, dataStart + size));
      offset = end;
      continue;
    }
    const kind = entryType(type, offset);
    const path = pax?.get("path") ?? ustarName(header);
    entries.push({
      path: path.endsWith("/") ? path.slice(0, -1) : path,
      type: kind,
      mode: octalField(header, 100, 8) & 0o7777,
      mtime: Number(pax?.get("mtime") ?? octalField(header, 136, 12)),
      size: kind === "file" ? size : 0,
      linkTarget: kind === "symlink" ? (pax?.get("linkpath") ?? cString(header, 157, 100)) : "",
      start: entryStart,
      dataStart,
      end,
    });
    pax = null;
    offset = end;
  }
  return entries;
}

function entryType(flag: string, offset: number): EntryType {
  switch (flag) {
    case "0":
    case "\0":
      return "file";
    case "5":
      return "directory";
    case "2":
      return "symlink";
    default:
      throw new Error(
        `tar entry at byte ${offset} has type '${flag}', which the workspace archive never holds`,
      );
  }
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

function cString(header: Uint8Array, at: number, width: number): string {
  const field = header.subarray(at, at + width);
  const nul = field.indexOf(0);
  return decoder.decode(nul === -1 ? field : field.subarray(0, nul));
}

/**
 * A numeric field: octal digits after optional spaces, ended by a NUL, a space or the field's
 * end; empty is 0, no digit at all NaN (as `parseInt(text.trim(), 8)`). Read byte by byte:
 * decoding three strings per entry was most of the time a 50 000-entry archive took.
 */
function octalField(header: Uint8Array, at: number, width: number): number {
  const stop = at + width;
  let i = at;
  while (i < stop && header[i] === 0x20) i++;
  if (i === stop || header[i] === 0) return 0;
  let value = 0;
  const first = i;
  for (; i < stop; i++) {
    const c = header[i] as number;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
  }
  return i === first ? Number.NaN : value;
}

/** A ustar name joined with its prefix field, which `TarWriter` leaves empty but others may not. */
function ustarName(header: Uint8Array): string {
  const name = cString(header, 0, 100);
  const prefix = header[345] === 0 ? "" : cString(header, 345, 155);
  return prefix === "" ? name : `${prefix}/${name}`;
}

/** `"<length> <key>=<value>\n"` records. */
function paxRecords(bytes: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number(decoder.decode(bytes.subarray(at, space)));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = decoder.decode(bytes.subarray(space + 1, at + length - 1));
    const equals = record.indexOf("=");
    if (equals !== -1) records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}
