/**
 * The few small entries hm puts into a container beside the workspace (its
 * listing, the paths to delete, the `/workspace` directory) as an in-memory
 * ustar, and the first file read back out of a tar the engine returns.
 */
const BLOCK = 512;
const encoder = new TextEncoder();

export interface MiniEntry {
  readonly name: string;
  /** Absent for a directory. */
  readonly content?: string;
}

export function miniTar(entries: readonly MiniEntry[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const entry of entries) {
    const body = entry.content === undefined ? new Uint8Array(0) : encoder.encode(entry.content);
    blocks.push(
      tarHeader(entry.name, body.length, entry.content === undefined ? "directory" : "file"),
      body,
      new Uint8Array((BLOCK - (body.length % BLOCK)) % BLOCK),
    );
  }
  blocks.push(new Uint8Array(BLOCK * 2));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const block of blocks) {
    out.set(block, offset);
    offset += block.length;
  }
  return out;
}

/** One ustar header (a name of at most 100 bytes), for a caller that streams the content itself. */
export function tarHeader(name: string, size: number, type: "file" | "directory" = "file"): Uint8Array {
  const header = new Uint8Array(BLOCK);
  const put = (text: string, offset: number, width: number) =>
    header.set(encoder.encode(text).subarray(0, width), offset);
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, "0")}\0`;
  put(name, 0, 100);
  put(octal(type === "directory" ? 0o755 : 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  put("        ", 148, 8);
  put(type === "directory" ? "5" : "0", 156, 1);
  put("ustar\x0000", 257, 8);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return header;
}

/** The content of the first regular file in `tar` (ustar or pax), or null. */
export function firstFileOf(tar: Uint8Array): Uint8Array | null {
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return null;
    const size = Number.parseInt(
      new TextDecoder().decode(header.subarray(124, 136)).replace(/\0.*$/, "").trim() || "0",
      8,
    );
    const type = String.fromCharCode(header[156] as number);
    const start = offset + BLOCK;
    if (type === "0" || type === "\0") return tar.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return null;
}
