/**
 * Reads a plugin's manifest (method 0). The call is made only in hm's
 * manifest reader process (manifest-probe-child.ts), never in the CLI's own
 * process: a plugin that crashes or hangs there takes down that process
 * alone. It needs no host function beyond `log` and `set_result`.
 */
import type { Logger } from "../log.ts";
import {
  DecodeError,
  decodePluginError,
  decodePluginManifest,
  type PluginManifest,
} from "../protocol/index.ts";
import { HM_OK, type HostFunctions, HostTable, Method } from "./host-table.ts";
import { LibraryError, type NativeLibrary } from "./native-library.ts";

let table: HostTable | undefined;
const utf8 = new TextDecoder();

/** Host functions during a manifest call: logging only; everything else is absent. */
function manifestHost(path: string, log: Logger): HostFunctions {
  const refuse = (what: string) => () => {
    throw new Error(`${what} is not available while reading the manifest`);
  };
  return {
    log: (_level, message) => log.debug(`${path}: ${utf8.decode(message.view())}`),
    kvGet: () => null,
    kvSet: refuse("kv_set"),
    emitEvent: refuse("emit_event"),
    emitStepLog: refuse("emit_step_log"),
    emitStepLogs: refuse("emit_step_logs"),
    kvWriteCounter: () => null,
    keepGoing: () => true,
    writeStdout: refuse("write_stdout"),
    writeStderr: refuse("write_stderr"),
    archiveRead: () => new Uint8Array(0),
    archiveTotalSize: () => 0,
    readConfig: () => null,
  };
}

/** The manifest's bytes as the plugin returned them (decoded by the caller, and kept by the manifest cache). */
export function callManifest(library: NativeLibrary, log: Logger): Uint8Array {
  table ??= new HostTable();
  const outcome = table.invoke(library, Method.manifest, new Uint8Array(0), manifestHost(library.path, log));
  if (outcome.output === null) throw new LibraryError(`returned no manifest (status ${outcome.status})`);
  if (outcome.status !== HM_OK) {
    throw new LibraryError(`manifest call failed: ${describePluginError(outcome.output)}`);
  }
  return outcome.output;
}

export function decodeManifestBytes(bytes: Uint8Array): PluginManifest {
  try {
    return decodePluginManifest(bytes);
  } catch (error) {
    if (error instanceof DecodeError)
      throw new LibraryError(`manifest could not be decoded: ${error.message}`);
    throw error;
  }
}

/** A PluginError's message, or a description of bytes that are not one. */
export function describePluginError(bytes: Uint8Array): string {
  try {
    const error = decodePluginError(bytes);
    return `${error.message} (${error.code})`;
  } catch (error) {
    return `undecodable error output (${error instanceof Error ? error.message : String(error)})`;
  }
}
