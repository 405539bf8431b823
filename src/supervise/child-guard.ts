/**
 * What makes a build child safe to supervise (Linux; elsewhere nothing):
 * - it dies (SIGKILL) when its supervisor dies, as `kill -9` of hm would
 *   kill an unsupervised hm: PR_SET_PDEATHSIG, set from the main thread,
 *   which lives as long as the process. The supervisor's main thread forked
 *   it, so a thread ending there cannot fire it either. If the supervisor
 *   died before the setting took, the parent is already someone else: exit.
 * - the report pipe is close-on-exec, so no step process or tool inherits
 *   it (one could write a fake verdict, or hold the pipe open), and
 *   blocking, so a burst of reports waits instead of failing with EAGAIN.
 */
const PR_SET_PDEATHSIG = 1;
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const FD_CLOEXEC = 1;
const O_NONBLOCK = 0o4000;
const SIGKILL = 9;

export async function guardBuildChild(reportFd: number, supervisorPid: number): Promise<void> {
  if (process.platform !== "linux") return;
  const { dlopen, FFIType } = await import("bun:ffi");
  const open = () =>
    dlopen("libc.so.6", {
      prctl: {
        args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64],
        returns: FFIType.i32,
      },
      fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    });
  let libc: ReturnType<typeof open>;
  try {
    libc = open();
  } catch {
    return; // not glibc: the child is still supervised, only not tied to its supervisor's life
  }
  const { prctl, fcntl } = libc.symbols;
  prctl(PR_SET_PDEATHSIG, BigInt(SIGKILL), 0n, 0n, 0n);
  if (process.ppid !== supervisorPid) process.kill(process.pid, "SIGKILL");
  const fdFlags = fcntl(reportFd, F_GETFD, 0);
  if (fdFlags >= 0) fcntl(reportFd, F_SETFD, fdFlags | FD_CLOEXEC);
  const statusFlags = fcntl(reportFd, F_GETFL, 0);
  if (statusFlags >= 0) fcntl(reportFd, F_SETFL, statusFlags & ~O_NONBLOCK);
  libc.close();
}
