/**
 * Copying bytes out of a plugin's memory into a buffer of ours without making
 * a JS view of the plugin's memory first. A `toArrayBuffer` view costs
 * 200-1,000 ns on a small VM (an ArrayBuffer object for every call), more than
 * a whole host call may cost (bench/RESULTS.md, section 2); libc's memcpy
 * through bun:ffi costs ~25 ns. Where libc cannot be opened, a view is made as
 * before.
 */
import { dlopen, FFIType, type Pointer, toArrayBuffer } from "bun:ffi";

type Memcpy = (destination: number, source: number, length: number) => unknown;

function libcName(): string | null {
  if (process.platform === "linux") return "libc.so.6";
  if (process.platform === "darwin") return "libSystem.B.dylib";
  return null;
}

let memcpy: Memcpy | null | undefined;

function nativeMemcpy(): Memcpy | null {
  if (memcpy !== undefined) return memcpy;
  memcpy = null;
  const name = libcName();
  if (name === null) return null;
  try {
    // Kept open for the thread's life: the symbol is called on every copy.
    const lib = dlopen(name, {
      memcpy: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64_fast], returns: FFIType.ptr },
    });
    const call = lib.symbols.memcpy as unknown as Memcpy;
    memcpy = call;
  } catch {
    memcpy = null;
  }
  return memcpy;
}

/**
 * Copies `length` bytes at `source` (plugin memory, borrowed for the current host call) into
 * `target` at `offset`; `targetAddress` is `ptr(target)`, taken once by the owner of `target`
 * (a buffer that never moves: a SharedArrayBuffer's, or one kept referenced). The caller has
 * checked that `offset + length` fits in `target`.
 */
export function copyFromPlugin(
  target: Uint8Array,
  targetAddress: number,
  offset: number,
  source: number,
  length: number,
): void {
  if (length === 0) return;
  const copy = nativeMemcpy();
  if (copy !== null) copy(targetAddress + offset, source, length);
  else target.set(new Uint8Array(toArrayBuffer(source as Pointer, 0, length)), offset);
}
