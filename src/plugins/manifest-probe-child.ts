/**
 * `hm __manifests <library>...`: the manifest reader process
 * (manifest-probe.ts starts it). For each library it writes where it is
 * (`load`, `manifest`) before running plugin code, then what it found, one
 * record a line written straight to file descriptor 3 (the parent's results
 * file), so when plugin code ends this process the parent knows which
 * plugin and which stage did it.
 *
 * Each stage is bounded by alarm(2): the plugin holds this thread (an FFI
 * call cannot be interrupted from JavaScript), but the kernel still
 * delivers SIGALRM, whose default action ends the process.
 */
import { dlopen, FFIType } from "bun:ffi";
import { fstatSync, writeSync } from "node:fs";
import { silentLogger } from "../log.ts";
import { MANIFEST_CALL_LIMIT_S, type ProbeRecord } from "./manifest-probe.ts";
import { callManifest } from "./manifest-reader.ts";
import { LibraryError, type NativeLibrary, openLibrary } from "./native-library.ts";

/** Where the parent reads the records. */
const RESULTS_FD = 3;

export function readManifests(libraries: readonly string[]): number {
  try {
    fstatSync(RESULTS_FD);
  } catch {
    process.stderr.write("hm __manifests <library>... is hm's own: it writes to file descriptor 3\n");
    return 2;
  }
  const record = (r: ProbeRecord) => writeSync(RESULTS_FD, `${JSON.stringify(r)}\n`);
  const alarm = alarmClock();
  libraries.forEach((path, i) => {
    try {
      record({ i, stage: "load" });
      alarm(MANIFEST_CALL_LIMIT_S);
      const library: NativeLibrary = openLibrary(path);
      record({ i, stage: "manifest" });
      alarm(MANIFEST_CALL_LIMIT_S);
      const manifest = callManifest(library, silentLogger());
      alarm(0);
      record({ i, manifest: Buffer.from(manifest).toString("base64") });
    } catch (error) {
      alarm(0);
      if (error instanceof LibraryError) record({ i, broken: error.message, lasting: !error.transient });
      else record({ i, broken: `failed to load: ${String(error)}`, lasting: false });
    }
  });
  // Libraries' destructors run at exit: bound them too.
  alarm(MANIFEST_CALL_LIMIT_S);
  return 0;
}

/** alarm(2), or nothing where libc cannot be found (the parent's own deadline still applies). */
function alarmClock(): (seconds: number) => void {
  const candidates =
    process.platform === "darwin" ? ["/usr/lib/libSystem.B.dylib"] : ["libc.so.6", "libc.so"];
  for (const name of candidates) {
    try {
      const libc = dlopen(name, { alarm: { args: [FFIType.u32], returns: FFIType.u32 } });
      return (seconds) => {
        libc.symbols.alarm(seconds);
      };
    } catch {
      // try the next name
    }
  }
  return () => {};
}
