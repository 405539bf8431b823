/* process.c - child processes for the shell plugin (see shell.h, "process.c").

   hm runs plugins inside Bun, a multithreaded process. So:
   - everything a child needs (argv, envp, fds, the default signal action) is prepared before
     fork(); between fork and exec the child makes only async-signal-safe calls;
   - the child resets every signal to its default and unblocks all: a disposition of "ignored" or
     a thread's signal mask would otherwise survive exec (a step's `yes | head` relies on SIGPIPE);
   - pipes are close-on-exec from birth with pipe2(O_CLOEXEC) on Linux, so no fork anywhere in
     the process (Bun's own spawns included) can leak them; elsewhere (macOS has no pipe2) with
     pipe() + FD_CLOEXEC, under fork_lock, so at least no step of this plugin forks in between;
   - a write to a child's stdin blocks SIGPIPE for this thread and swallows the one it raised: the
     host process must never die because a tool exited early;
   - exec failures come back through a close-on-exec "report" pipe, as {stage, errno};
   - a child started for a run records itself, before exec, in the run directory's GROUP_RECORD
     ("<pid> <start time>\n", start time in clock ticks from /proc, 0 where there is none): its
     pid is its process group's id, and if hm dies without stopping it (kill -9, a crash), the
     reaper (`hm gc`, the next `hm run`, hm's supervisor) kills that group. The child writes it,
     not the parent, so no command runs unrecorded whenever hm is killed. */
#define _XOPEN_SOURCE 700
#if defined(__linux__)
#define _GNU_SOURCE /* pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __APPLE__
#include <crt_externs.h>
#else
extern char **environ;
#endif

#include "shell.h"

#define TOOL_STDERR_KEEP 2048    /* bytes of a tool's stderr quoted in an error message */
#define ARCHIVE_CHUNK (64 * 1024) /* bytes asked from archive_read at a time */
#define GROUP_RECORD ".process-groups" /* in the run directory; read by src/run/process-groups.ts */

static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;

SHELL_PRIVATE char **shell_host_environ(void) {
#ifdef __APPLE__
  return *_NSGetEnviron(); /* a dylib cannot link against `environ` */
#else
  return environ;
#endif
}

SHELL_PRIVATE const char *shell_errno_text(hm_ctx *ctx, int err) {
  char text[256];
  const char *copy;
  if (strerror_r(err, text, sizeof text) != 0) snprintf(text, sizeof text, "error %d", err);
  copy = hm_ctx_sprintf(ctx, "%s", text);
  return copy ? copy : "out of memory";
}

SHELL_PRIVATE int64_t shell_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

SHELL_PRIVATE void shell_close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* ---- starting a child ------------------------------------------------------------------------- */

enum start_stage { STAGE_SETPGID = 1, STAGE_FDS, STAGE_VIEW, STAGE_CHDIR, STAGE_EXEC };

/* What the child does after fork, prepared before it. */
typedef struct child_plan {
  const char *path;
  char *const *argv;
  char *const *envp;
  const char *cwd;
  const shell_view *view; /* NULL: none */
  int stdin_src, stdout_src, stderr_src; /* become fds 0, 1, 2 */
  int report_fd;
  int record_fd; /* the run's GROUP_RECORD (append), -1: not recorded */
  struct sigaction default_action;
  sigset_t no_signals;
} child_plan;

/* In the child: tell the parent which step failed and how, then exit. */
static void report_and_exit(int fd, int stage) {
  int message[2];
  message[0] = stage;
  message[1] = errno;
  if (write(fd, message, sizeof message) < 0) { /* the parent then sees a plain exit 127 */
  }
  _exit(127);
}

/* In the child: digits of n at the end of buf (size >= 21); RETURNS where they start. */
static char *format_unsigned(char *end, unsigned long long n) {
  *--end = '\0';
  do *--end = (char)('0' + n % 10);
  while ((n /= 10) > 0);
  return end;
}

/* In the child: field 22 of /proc/self/stat (start time in clock ticks since boot), 0 without one.
   The name field (2) may hold spaces and ')', so fields are counted from its last ')'. */
static unsigned long long own_start_time(void) {
  char text[1024];
  ssize_t got = -1;
  unsigned long long value = 0;
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), field = 2;
  char *p, *end;
  if (fd >= 0) {
    got = read(fd, text, sizeof text - 1);
    close(fd);
  }
  if (got <= 0) return 0;
  text[got] = '\0';
  for (p = end = text; *p; p++)
    if (*p == ')') end = p;
  for (p = end; *p && field < 22; p++)
    if (*p == ' ') field++;
  while (*p >= '0' && *p <= '9') value = value * 10 + (unsigned long long)(*p++ - '0');
  return value;
}

/* In the child, once it leads its own group: append "<pid> <start time>\n" to the run's record. */
static void record_group(int fd) {
  char pid_text[24], start_text[24], line[64];
  const char *pid_digits, *start_digits;
  size_t n = 0, i;
  if (fd < 0) return;
  pid_digits = format_unsigned(pid_text + sizeof pid_text, (unsigned long long)getpid());
  start_digits = format_unsigned(start_text + sizeof start_text, own_start_time());
  for (i = 0; pid_digits[i]; i++) line[n++] = pid_digits[i];
  line[n++] = ' ';
  for (i = 0; start_digits[i]; i++) line[n++] = start_digits[i];
  line[n++] = '\n';
  if (write(fd, line, n) < 0) { /* unrecorded: only hm's own cleanup can stop it then */
  }
}

/* In the child: src becomes target, without close-on-exec. */
static int move_fd(int src, int target) {
  if (src == target) return fcntl(target, F_SETFD, 0) == 0;
  return dup2(src, target) == target;
}

/* In the child, after fork: async-signal-safe calls only. Never returns. */
static void exec_child(const child_plan *plan) {
  int sig;
  if (setpgid(0, 0) != 0) report_and_exit(plan->report_fd, STAGE_SETPGID);
  record_group(plan->record_fd);
  for (sig = 1; sig < 32; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &plan->default_action, NULL);
  sigprocmask(SIG_SETMASK, &plan->no_signals, NULL);
  if (!move_fd(plan->stdin_src, 0) || !move_fd(plan->stdout_src, 1) || !move_fd(plan->stderr_src, 2))
    report_and_exit(plan->report_fd, STAGE_FDS);
  if (plan->view && !shell_view_enter(plan->view)) report_and_exit(plan->report_fd, STAGE_VIEW);
  if (plan->cwd && chdir(plan->cwd) != 0) report_and_exit(plan->report_fd, STAGE_CHDIR);
  execve(plan->path, plan->argv, plan->envp);
  report_and_exit(plan->report_fd, STAGE_EXEC);
}

static int cloexec_pipe(int fds[2]) {
#if defined(__linux__)
  return pipe2(fds, O_CLOEXEC) == 0;
#else
  if (pipe(fds) != 0) return 0;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 1;
#endif
}

static void set_nonblocking(int fd) {
  if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static const char *stage_name(int stage) {
  switch (stage) {
    case STAGE_SETPGID: return "setpgid";
    case STAGE_FDS: return "redirecting stdin/stdout/stderr";
    case STAGE_VIEW: return "mounting its overlay";
    case STAGE_CHDIR: return "chdir";
    default: return "exec";
  }
}

/* Waits for exec (the report pipe closes) or for the child's failure report. RETURNS 1 = exec'd. */
static int await_exec(hm_ctx *ctx, int report_fd, const char *path, const char *cwd) {
  int message[2];
  ssize_t got;
  do got = read(report_fd, message, sizeof message);
  while (got < 0 && errno == EINTR);
  if (got != (ssize_t)sizeof message) return 1;
  return hm_fail(ctx, "spawn_failed", "cannot start '%s' in '%s': %s failed: %s", path, cwd ? cwd : ".",
                 stage_name(message[0]), shell_errno_text(ctx, message[1]));
}

/* Makes the pipes the flags ask for, then fork + exec, under fork_lock. RETURNS the pid, or -1 with
   errno set (pipe or fork failed). The caller closes the child's pipe ends and keeps ours. */
static pid_t fork_child(child_plan *plan, unsigned flags, int devnull, int in[2], int out[2], int err[2],
                        int report[2]) {
  pid_t pid = -1;
  pthread_mutex_lock(&fork_lock);
  if ((!(flags & SHELL_CHILD_STDIN) || cloexec_pipe(in)) && (!(flags & SHELL_CHILD_STDOUT) || cloexec_pipe(out)) &&
      cloexec_pipe(err) && cloexec_pipe(report)) {
    plan->stdin_src = flags & SHELL_CHILD_STDIN ? in[0] : devnull;
    plan->stdout_src = flags & SHELL_CHILD_STDOUT ? out[1] : devnull;
    plan->stderr_src = err[1];
    plan->report_fd = report[1];
    pid = fork();
    if (pid == 0) exec_child(plan);
  }
  pthread_mutex_unlock(&fork_lock);
  return pid;
}

static void init_plan(child_plan *plan, const char *path, char *const argv[], char *const envp[],
                      const char *cwd, const shell_view *view) {
  memset(plan, 0, sizeof *plan);
  plan->view = view;
  plan->path = path;
  plan->argv = argv;
  plan->envp = envp;
  plan->cwd = cwd;
  plan->default_action.sa_handler = SIG_DFL;
  sigemptyset(&plan->default_action.sa_mask);
  sigemptyset(&plan->no_signals);
}

SHELL_PRIVATE void shell_child_close_pipes(shell_child *c) {
  shell_close_fd(&c->stdin_fd);
  shell_close_fd(&c->stdout_fd);
  shell_close_fd(&c->stderr_fd);
}

/* The run's GROUP_RECORD opened for appending (close-on-exec), or -1 when run_dir is NULL. */
static int open_group_record(hm_ctx *ctx, const char *run_dir, int *fd) {
  const char *path;
  *fd = -1;
  if (!run_dir) return 1;
  path = hm_ctx_sprintf(ctx, "%s/" GROUP_RECORD, run_dir);
  if (!path) return 0;
  *fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (*fd < 0) return hm_fail(ctx, "spawn_failed", "cannot open '%s': %s", path, shell_errno_text(ctx, errno));
  return 1;
}

SHELL_PRIVATE int shell_child_start(hm_ctx *ctx, shell_child *c, const char *path, char *const argv[],
                                    char *const envp[], const char *cwd, const char *run_dir,
                                    const shell_view *view, unsigned flags) {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
  int devnull, record, fork_errno, started, code;
  child_plan plan;
  pid_t pid;
  if (!open_group_record(ctx, run_dir, &record)) return 0;
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) {
    shell_close_fd(&record);
    return hm_fail(ctx, "spawn_failed", "cannot open /dev/null: %s", shell_errno_text(ctx, errno));
  }
  init_plan(&plan, path, argv, envp, cwd, view);
  plan.record_fd = record;
  pid = fork_child(&plan, flags, devnull, in, out, err, report);
  fork_errno = errno;
  close(devnull); /* the child's ends: it has its copies */
  shell_close_fd(&record);
  shell_close_fd(&in[0]);
  shell_close_fd(&out[1]);
  shell_close_fd(&err[1]);
  shell_close_fd(&report[1]);
  c->pid = pid;
  c->stdin_fd = in[1];
  c->stdout_fd = out[0];
  c->stderr_fd = err[0];
  if (pid < 0) {
    shell_close_fd(&report[0]);
    shell_child_close_pipes(c);
    return hm_fail(ctx, "spawn_failed", "cannot start '%s': %s", path, shell_errno_text(ctx, fork_errno));
  }
  setpgid(pid, pid); /* also here: the group must exist before we may signal it */
  started = await_exec(ctx, report[0], path, cwd);
  shell_close_fd(&report[0]);
  if (!started) {
    shell_child_reap(ctx, c, &code);
    shell_child_close_pipes(c);
    return 0;
  }
  set_nonblocking(c->stdin_fd);
  set_nonblocking(c->stdout_fd);
  set_nonblocking(c->stderr_fd);
  return 1;
}

/* ---- waiting and signalling ---------------------------------------------------------------------- */

SHELL_PRIVATE int shell_child_exited(const shell_child *c) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  if (waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno != EINTR;
  return info.si_pid != 0;
}

SHELL_PRIVATE void shell_child_signal_group(const shell_child *c, int sig) {
  if (c->pid > 0) killpg(c->pid, sig);
}

SHELL_PRIVATE int shell_child_reap(hm_ctx *ctx, shell_child *c, int *exit_code) {
  pid_t pid = c->pid, got;
  int status = 0;
  do got = waitpid(pid, &status, 0);
  while (got < 0 && errno == EINTR);
  c->pid = -1;
  if (got < 0)
    return hm_fail(ctx, "wait_failed", "cannot collect the exit status of process %ld: %s", (long)pid,
                   shell_errno_text(ctx, errno));
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
  return 1;
}

/* ---- running a tool ------------------------------------------------------------------------------ */

/* The first occurrence of name in the host's PATH (then /usr/bin, /bin), in ctx memory; NULL when
   there is none. Looked up before fork: execvp is not async-signal-safe. */
static char *find_program(hm_ctx *ctx, const char *name) {
  const char *path = getenv("PATH");
  const char *dirs[2];
  int i;
  dirs[0] = path ? path : "";
  dirs[1] = "/usr/bin:/bin";
  for (i = 0; i < 2; i++) {
    const char *dir = dirs[i];
    while (*dir) {
      size_t len = strcspn(dir, ":");
      if (len > 0) {
        char *candidate = hm_ctx_sprintf(ctx, "%.*s/%s", (int)len, dir, name);
        struct stat sb;
        if (!candidate) return NULL;
        if (stat(candidate, &sb) == 0 && S_ISREG(sb.st_mode) && access(candidate, X_OK) == 0) return candidate;
      }
      dir += len;
      if (*dir == ':') dir++;
    }
  }
  return NULL;
}

/* write() that cannot raise SIGPIPE in the host: block it for this thread, and swallow the one
   this write raised (if SIGPIPE was already pending, it is left for its owner). */
static ssize_t write_without_sigpipe(int fd, const void *bytes, size_t n) {
  sigset_t pipe_only, old, pending;
  int was_pending, saved, sig;
  ssize_t written;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigpending(&pending);
  was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  written = write(fd, bytes, n);
  saved = errno;
  if (written < 0 && saved == EPIPE && !was_pending) {
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) sigwait(&pipe_only, &sig);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = saved;
  return written;
}

/* A tool's run: its archive feed (when it reads one) and the start of its stderr. */
typedef struct tool_run {
  shell_child child;
  const uint8_t *archive_id; /* NULL: nothing to feed */
  uint64_t archive_size, offset;
  uint8_t *chunk; /* ARCHIVE_CHUNK bytes, ctx memory */
  size_t chunk_pos, chunk_len;
  char stderr_text[TOOL_STDERR_KEEP];
  size_t stderr_len;
} tool_run;

/* Makes sure the next archive bytes are in the chunk, or closes the tool's stdin at the end.
   RETURNS 0 when the host failed or the archive ended early (ctx error). */
static int refill_chunk(hm_ctx *ctx, tool_run *run) {
  size_t got = 0;
  if (run->child.stdin_fd < 0 || run->chunk_pos < run->chunk_len) return 1;
  if (run->offset >= run->archive_size) {
    shell_close_fd(&run->child.stdin_fd); /* end of the archive: the tool sees EOF */
    return 1;
  }
  if (!hm_archive_read(ctx, run->archive_id, run->offset, run->chunk, ARCHIVE_CHUNK, &got)) return 0;
  if (got == 0)
    return hm_fail(ctx, "archive_short", "the workspace archive ended at byte %llu of %llu",
                   (unsigned long long)run->offset, (unsigned long long)run->archive_size);
  run->offset += got;
  run->chunk_pos = 0;
  run->chunk_len = got;
  return 1;
}

/* Reads what the tool wrote to stderr, keeping the first TOOL_STDERR_KEEP bytes. */
static void read_tool_stderr(tool_run *run) {
  char buf[4096];
  ssize_t got;
  while ((got = read(run->child.stderr_fd, buf, sizeof buf)) > 0) {
    size_t keep = sizeof run->stderr_text - 1 - run->stderr_len;
    if ((size_t)got < keep) keep = (size_t)got;
    memcpy(run->stderr_text + run->stderr_len, buf, keep);
    run->stderr_len += keep;
  }
  if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
    shell_close_fd(&run->child.stderr_fd);
}

static void write_tool_stdin(tool_run *run) {
  ssize_t written = write_without_sigpipe(run->child.stdin_fd, run->chunk + run->chunk_pos,
                                          run->chunk_len - run->chunk_pos);
  if (written > 0) run->chunk_pos += (size_t)written;
  else if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    shell_close_fd(&run->child.stdin_fd); /* the tool stopped reading: its exit status says why */
}

/* Waits up to SHELL_POLL_MS for the tool's stdin to take bytes or its stderr to have some. */
static void pump_tool(tool_run *run) {
  struct pollfd fds[2];
  nfds_t n = 0;
  int in = -1, err = -1;
  if (run->child.stdin_fd >= 0 && run->chunk_pos < run->chunk_len) {
    fds[n].fd = run->child.stdin_fd;
    fds[n].events = POLLOUT;
    in = (int)n++;
  }
  if (run->child.stderr_fd >= 0) {
    fds[n].fd = run->child.stderr_fd;
    fds[n].events = POLLIN;
    err = (int)n++;
  }
  if (poll(n ? fds : NULL, n, n ? SHELL_POLL_MS : 10) <= 0) return;
  if (err >= 0 && fds[err].revents) read_tool_stderr(run);
  if (in >= 0 && (fds[in].revents & (POLLERR | POLLHUP))) shell_close_fd(&run->child.stdin_fd);
  else if (in >= 0 && (fds[in].revents & POLLOUT)) write_tool_stdin(run);
}

/* The tool's stderr without trailing whitespace, for a message. */
static const char *tool_stderr(tool_run *run) {
  while (run->stderr_len > 0 && (unsigned char)run->stderr_text[run->stderr_len - 1] <= ' ') run->stderr_len--;
  run->stderr_text[run->stderr_len] = '\0';
  return run->stderr_text;
}

SHELL_PRIVATE shell_status shell_run_tool(hm_ctx *ctx, const char *what, char *const argv[], const char *cwd,
                                          const char *run_dir, const shell_view *view, const uint8_t archive_id[16],
                                          uint64_t archive_size) {
  tool_run run;
  shell_status status = SHELL_DONE;
  int exit_code = 0;
  char *path = what ? find_program(ctx, argv[0]) : NULL;
  if (!what) return SHELL_FAILED; /* out of memory: the ctx says so */
  if (!path) {
    hm_fail(ctx, "missing_tool", "%s: cannot find '%s' in PATH", what, argv[0]);
    return SHELL_FAILED;
  }
  memset(&run, 0, sizeof run);
  if (archive_size > 0) {
    run.archive_id = archive_id;
    run.archive_size = archive_size;
    run.chunk = hm_ctx_alloc(ctx, ARCHIVE_CHUNK);
    if (!run.chunk) return SHELL_FAILED;
  }
  if (!shell_child_start(ctx, &run.child, path, argv, shell_host_environ(), cwd, run_dir, view,
                         run.archive_id ? SHELL_CHILD_STDIN : 0))
    return SHELL_FAILED;
  while (!shell_child_exited(&run.child)) {
    if (!hm_keep_going(ctx)) {
      status = hm_ok(ctx) ? SHELL_CANCELLED : SHELL_FAILED;
      break;
    }
    if (run.archive_id && !refill_chunk(ctx, &run)) {
      status = SHELL_FAILED;
      break;
    }
    pump_tool(&run);
  }
  shell_child_signal_group(&run.child, SIGKILL); /* leftovers of a finished tool; all of a stopped one */
  if (run.child.stderr_fd >= 0) read_tool_stderr(&run);
  if (!shell_child_reap(ctx, &run.child, &exit_code) && status == SHELL_DONE) status = SHELL_FAILED;
  shell_child_close_pipes(&run.child);
  if (status == SHELL_DONE && exit_code != 0) {
    const char *text = tool_stderr(&run);
    hm_fail(ctx, "tool_failed", "%s: %s exited with code %d%s%s", what, argv[0], exit_code, *text ? ": " : "",
            text);
    status = SHELL_FAILED;
  }
  return status;
}
