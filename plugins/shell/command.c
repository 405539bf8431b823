/* command.c - the step's command (see shell.h, "command.c").

   The loop: poll the child's stdout and stderr for at most SHELL_POLL_MS, turn what arrived into
   log lines, ask keep_going, look whether the child exited. Once it has (still unreaped, so its
   group id stays ours), the rest of its process group is SIGKILLed and the pipes are drained for
   at most DRAIN_MS: a daemon that escaped the group may hold them open forever. A host call that
   fails leaves a ctx error, which makes keep_going answer 0: the child is stopped as on cancel. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

#define KILL_GRACE_MS 2000 /* SIGTERM, then SIGKILL this much later */
#define DRAIN_MS 2000      /* how long to read leftover output after the command exited */
#define READ_CHUNK (64 * 1024)

/* ---- environment --------------------------------------------------------------------------------- */

/* 1 when entry ("NAME=value") defines name. */
static int defines(const char *entry, const char *name, size_t len) {
  return strncmp(entry, name, len) == 0 && entry[len] == '=';
}
#define DEFINES_LITERAL(entry, name) defines(entry, name, sizeof name - 1)

/* 1 when the step's env (or the plugin) sets entry's variable, which therefore leaves the host's. */
static int overridden(const hm_executor_input *in, const char *entry) {
  hm_iter it = hm_str_map_iter(in->env);
  hm_str key, value;
  if (DEFINES_LITERAL(entry, "PWD") || DEFINES_LITERAL(entry, "HM_WORKSPACE")) return 1;
  while (hm_str_map_next(&it, &key, &value))
    if (defines(entry, key.ptr, key.len)) return 1;
  return 0;
}

/* The host's environment, then ExecutorInput.env on top, then PWD and HM_WORKSPACE = step_dir.
   RETURNS a NULL-terminated array in ctx memory (the host's strings are copied), NULL on failure. */
static char **step_environment(hm_ctx *ctx, const hm_executor_input *in, const char *step_dir) {
  char **host = shell_host_environ(), **envp;
  size_t host_count = 0, n = 0, i;
  hm_iter it = hm_str_map_iter(in->env);
  hm_str key, value;
  while (host[host_count]) host_count++;
  envp = hm_ctx_alloc(ctx, (host_count + in->env.count + 3) * sizeof *envp);
  if (!envp) return NULL;
  for (i = 0; i < host_count; i++)
    if (!overridden(in, host[i])) envp[n++] = hm_ctx_sprintf(ctx, "%s", host[i]);
  while (hm_str_map_next(&it, &key, &value)) {
    if (key.len == 0 || memchr(key.ptr, '=', key.len) || memchr(key.ptr, '\0', key.len)) {
      hm_fail(ctx, "invalid_env", "environment variable name '" HM_STR_FMT "' is empty or contains '='",
              HM_STR_ARG(key));
      return NULL;
    }
    envp[n++] = hm_ctx_sprintf(ctx, HM_STR_FMT "=" HM_STR_FMT, HM_STR_ARG(key), HM_STR_ARG(value));
  }
  envp[n++] = hm_ctx_sprintf(ctx, "PWD=%s", step_dir);
  envp[n++] = hm_ctx_sprintf(ctx, "HM_WORKSPACE=%s", step_dir);
  envp[n] = NULL;
  return hm_ok(ctx) ? envp : NULL; /* a failed sprintf left NOMEM */
}

/* ---- the run loop -------------------------------------------------------------------------------- */

typedef struct command_run {
  shell_child child;
  shell_lines out, err;
  char *chunk; /* READ_CHUNK bytes, ctx memory */
  int cancelled, exited;
  int64_t kill_at;     /* cancelled: when SIGKILL follows SIGTERM; -1 once sent */
  int64_t drain_until; /* exited: when to stop waiting for EOF */
} command_run;

/* Reads one chunk from *fd into its lines; at EOF (or a read error) closes *fd and finishes them. */
static void read_stream(hm_ctx *ctx, int *fd, shell_lines *lines, char *chunk) {
  ssize_t got = read(*fd, chunk, READ_CHUNK);
  if (got > 0) {
    shell_lines_feed(ctx, lines, chunk, (size_t)got);
  } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    shell_close_fd(fd);
    shell_lines_finish(ctx, lines);
  }
}

/* Waits up to SHELL_POLL_MS for output and turns what came into log lines. */
static void pump_output(hm_ctx *ctx, command_run *run) {
  struct pollfd fds[2];
  nfds_t n = 0, i;
  int *owners[2];
  shell_lines *lines[2];
  if (run->child.stdout_fd >= 0) {
    fds[n].fd = run->child.stdout_fd;
    owners[n] = &run->child.stdout_fd;
    lines[n++] = &run->out;
  }
  if (run->child.stderr_fd >= 0) {
    fds[n].fd = run->child.stderr_fd;
    owners[n] = &run->child.stderr_fd;
    lines[n++] = &run->err;
  }
  for (i = 0; i < n; i++) fds[i].events = POLLIN;
  if (poll(n ? fds : NULL, n, n ? SHELL_POLL_MS : 10) <= 0) return;
  for (i = 0; i < n; i++)
    if (fds[i].revents) read_stream(ctx, owners[i], lines[i], run->chunk);
}

/* Cancel: SIGTERM now, SIGKILL after the grace period. */
static void stop_child(command_run *run, int64_t now) {
  if (!run->cancelled) {
    run->cancelled = 1;
    run->kill_at = now + KILL_GRACE_MS;
    shell_child_signal_group(&run->child, SIGTERM);
  } else if (run->kill_at >= 0 && now >= run->kill_at) {
    run->kill_at = -1;
    shell_child_signal_group(&run->child, SIGKILL);
  }
}

/* One turn of the loop. RETURNS 0 when the command is over and its output drained. */
static int step_once(hm_ctx *ctx, command_run *run) {
  int64_t now;
  pump_output(ctx, run);
  now = shell_now_ms();
  if (!run->exited && shell_child_exited(&run->child)) {
    run->exited = 1;
    run->drain_until = now + DRAIN_MS;
    shell_child_signal_group(&run->child, SIGKILL); /* background leftovers */
  }
  if (run->exited) return (run->child.stdout_fd >= 0 || run->child.stderr_fd >= 0) && now < run->drain_until;
  if (run->cancelled || !hm_keep_going(ctx)) stop_child(run, now);
  return 1;
}

static shell_status run_to_end(hm_ctx *ctx, command_run *run, int32_t *exit_code) {
  int code = 0;
  while (step_once(ctx, run)) {
  }
  shell_lines_finish(ctx, &run->out); /* output cut off by the drain limit */
  shell_lines_finish(ctx, &run->err);
  shell_child_close_pipes(&run->child);
  if (!shell_child_reap(ctx, &run->child, &code)) return SHELL_FAILED;
  *exit_code = run->cancelled ? SHELL_EXIT_CANCELLED : code;
  return hm_ok(ctx) ? SHELL_DONE : SHELL_FAILED;
}

SHELL_PRIVATE shell_status shell_run_command(hm_ctx *ctx, const hm_executor_input *in, const char *run_dir,
                                             const char *step_dir, const shell_view *view, int32_t *exit_code) {
  static char sh[] = "/bin/sh", dash_c[] = "-c";
  char *argv[4];
  char **envp = step_environment(ctx, in, step_dir);
  command_run run;
  shell_status status;
  argv[0] = sh;
  argv[1] = dash_c;
  argv[2] = hm_ctx_strdup(ctx, in->step.cmd);
  argv[3] = NULL;
  if (!envp || !argv[2]) return SHELL_FAILED;
  memset(&run, 0, sizeof run);
  run.out.stream = HM_STREAM_STDOUT;
  run.err.stream = HM_STREAM_STDERR;
  run.chunk = hm_ctx_alloc(ctx, READ_CHUNK);
  if (!run.chunk) return SHELL_FAILED;
  if (!shell_child_start(ctx, &run.child, sh, argv, envp, step_dir, run_dir, view, SHELL_CHILD_STDOUT))
    return SHELL_FAILED;
  status = run_to_end(ctx, &run, exit_code);
  shell_lines_free(&run.out);
  shell_lines_free(&run.err);
  return status;
}
