/**
 * A ceiling on the CPU time of the pipeline-evaluation process, enforced by
 * the kernel (RLIMIT_CPU, then SIGXCPU/SIGKILL): hm kills a file that
 * overruns its time limit, but if hm itself is killed meanwhile, a file stuck
 * in `while (true) {}` must not spin on forever. (An idle hang, such as an
 * await that never settles, ends when hm's IPC channel closes.)
 */
import { dlopen, ptr } from "bun:ffi";

const RLIMIT_CPU = 0; // the same on Linux and macOS

function libc(): string | null {
  if (process.platform === "linux") return "libc.so.6";
  if (process.platform === "darwin") return "libSystem.B.dylib";
  return null;
}

/** Limits this process to `seconds` of CPU time; false where the C library is not at hand (the channel-close exit still applies). */
export function limitCpuSeconds(seconds: number): boolean {
  const name = libc();
  if (name === null) return false;
  try {
    const lib = dlopen(name, { setrlimit: { args: ["i32", "ptr"], returns: "i32" } });
    const soft = BigInt(Math.ceil(seconds));
    // struct rlimit { rlim_t cur, max } with a 64-bit rlim_t; the hard limit a little later, for SIGKILL.
    const limits = new BigUint64Array([soft, soft + 1n]);
    const ok = lib.symbols.setrlimit(RLIMIT_CPU, ptr(limits)) === 0;
    lib.close();
    return ok;
  } catch {
    return false;
  }
}
