/**
 * Opening a plugin library with bun:ffi. A library is opened once per
 * process (dlopen handles are shared by every thread anyway); what we get is
 * its ABI version and a typed `hm_plugin_call`.
 */
import { dlopen, FFIType, type Pointer } from "bun:ffi";

const SUPPORTED_ABI = { min: 1, max: 1 } as const;

/** hm_plugin_call(api, call, method, input, input_len) → status */
type PluginCallFn = (
  api: Pointer,
  call: Pointer,
  method: number,
  input: Uint8Array | null,
  inputLen: number,
) => number;

export interface NativeLibrary {
  readonly path: string;
  readonly abiVersion: number;
  readonly call: PluginCallFn;
}

/** Why a file could not be used as a plugin; the registry adds the path and name. */
export class LibraryError extends Error {
  override readonly name = "LibraryError";
  /**
   * True when the verdict may change without the file changing (the loader
   * could not open it: a library it needs may be installed later), so the
   * manifest cache must not remember it.
   */
  readonly transient: boolean;

  constructor(message: string, options: { transient?: boolean } = {}) {
    super(message);
    this.transient = options.transient ?? false;
  }
}

const opened = new Map<string, NativeLibrary>();

export function openLibrary(path: string): NativeLibrary {
  const cached = opened.get(path);
  if (cached) return cached;
  let lib: ReturnType<typeof bind>;
  try {
    lib = bind(path);
  } catch (error) {
    const reason = diagnose(path, error);
    throw new LibraryError(reason.message, { transient: reason.transient });
  }
  const abiVersion = lib.symbols.hm_plugin_abi_version();
  if (abiVersion < SUPPORTED_ABI.min || abiVersion > SUPPORTED_ABI.max) {
    throw new LibraryError(`built for plugin ABI ${abiVersion}, this hm supports ${SUPPORTED_ABI.max}`);
  }
  const library: NativeLibrary = {
    path,
    abiVersion,
    call: (api, call, method, input, inputLen) =>
      lib.symbols.hm_plugin_call(api, call, method, input, inputLen),
  };
  opened.set(path, library);
  return library;
}

function bind(path: string) {
  return dlopen(path, {
    hm_plugin_abi_version: { args: [], returns: FFIType.u32 },
    hm_plugin_call: {
      args: [FFIType.ptr, FFIType.ptr, FFIType.u32, FFIType.ptr, FFIType.u64_fast],
      returns: FFIType.i32,
    },
  });
}

/** Tells "not a library", "not an hm plugin" and "a Rust hm plugin" apart. */
function diagnose(path: string, error: unknown): { message: string; transient: boolean } {
  const message = error instanceof Error ? error.message : String(error);
  if (!/symbol/i.test(message))
    return { message: `cannot be opened as a shared library: ${message}`, transient: true };
  if (exports(path, "hm_load_plugin")) {
    return {
      message:
        "was built for the Rust hm (it exports hm_load_plugin, a stabby plugin); rebuild it against plugins/sdk/hm_plugin.h",
      transient: false,
    };
  }
  const missing = exports(path, "hm_plugin_call") ? "hm_plugin_abi_version" : "hm_plugin_call";
  return { message: `not an hm plugin (missing ${missing})`, transient: false };
}

function exports(path: string, symbol: string): boolean {
  try {
    dlopen(path, { [symbol]: { args: [], returns: FFIType.void } });
    return true;
  } catch {
    return false;
  }
}
