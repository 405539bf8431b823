/* shell.h - private declarations shared by the files of the `shell` plugin (design: shell.c).

   Every function here is hidden: the library exports only the SDK's two entry points. Strings
   returned as `char *` live in the call's arena (hm_ctx_alloc): valid until hm_plugin_call
   returns, never freed by hand. Functions taking a ctx report failures with hm_fail() (or leave
   the SDK's sticky host error) before returning their failure value. */
#ifndef HM_SHELL_H
#define HM_SHELL_H

#include <stdint.h>
#include <sys/types.h>

#include "hm_plugin.h"

#if defined(__GNUC__) && !defined(_WIN32)
#define SHELL_PRIVATE __attribute__((visibility("hidden")))
#else
#define SHELL_PRIVATE
#endif

#define SHELL_EXIT_CANCELLED 130 /* what a cancelled (or timed-out) step returns */
#define SHELL_POLL_MS 50         /* longest wait between two keep_going polls */
#define SHELL_UUID_LEN 36        /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */

/* How a piece of work that polls keep_going ended. SHELL_FAILED: the ctx holds why. */
typedef enum shell_status { SHELL_FAILED = 0, SHELL_DONE = 1, SHELL_CANCELLED = 2 } shell_status;

/* ---- workspace.c: the run and step directories ----------------------------------------------- */

/* shell_uuid_text - lowercase 8-4-4-4-12 text of 16 raw bytes, NUL-terminated. */
SHELL_PRIVATE void shell_uuid_text(const uint8_t id[16], char out[SHELL_UUID_LEN + 1]);
/* shell_is_uuid_text - 1 when s[0..len) is such a text (so it is safe inside a path). */
SHELL_PRIVATE int shell_is_uuid_text(const char *s, size_t len);
/* shell_run_dir - realpath(${TMPDIR:-/tmp})/hm-shell-<run id>. NULL on failure. */
SHELL_PRIVATE char *shell_run_dir(hm_ctx *ctx, const char *run_id);
/* shell_step_dir - <run dir>/<escaped key>: bytes outside [A-Za-z0-9._-], and a leading '.',
   become %XX, so a key can neither leave the run directory nor collide with another key. */
SHELL_PRIVATE char *shell_step_dir(hm_ctx *ctx, const char *run_dir, hm_str key);
/* shell_prepare_workdir - the directory the step runs in, made ready, in *dir: a root step's is a
   fresh <run dir>/<key> holding the workspace archive; a builds_in child's is its parent's
   directory itself when the parent handed it over (*taken_over = 1; handover.c), else a fresh
   <run dir>/<key> holding a copy of it. *dir is set once the directory is chosen. */
SHELL_PRIVATE shell_status shell_prepare_workdir(hm_ctx *ctx, const hm_executor_input *in, const char *run_dir,
                                                 char **dir, int *taken_over);
/* shell_remove_tree - delete path recursively without following symlinks (nftw FTW_PHYS);
   read-only directories are made writable first. RETURNS 0 (also when path is absent) or the
   errno of the first entry that could not be removed. */
SHELL_PRIVATE int shell_remove_tree(const char *path);

/* ---- handover.c: a directory passed from a step to its only builds_in child --------------------- */

/* shell_hand_over - after the step passed with `snapshot` (its directory's snapshot): when hm says
   the step has exactly one builds_in child, record that this child takes the directory over.
   RETURNS 1 (also when there is nothing to record), 0 when a host call failed. */
SHELL_PRIVATE int shell_hand_over(hm_ctx *ctx, const char *snapshot);
/* shell_handed_over - *yes = 1 when the parent of this builds_in child handed it its directory,
   i.e. the record names in->parent_snapshot. RETURNS 1, or 0 when a host call failed (*yes = 0). */
SHELL_PRIVATE int shell_handed_over(hm_ctx *ctx, const hm_executor_input *in, int *yes);

/* ---- process.c: child processes ----------------------------------------------------------------- */

/* A started child. pid is also its process group id. The fds are ours (non-blocking, close-on-exec),
   -1 when not piped or already closed. */
typedef struct shell_child {
  pid_t pid;
  int stdin_fd;  /* write end of its stdin (SHELL_CHILD_STDIN), else its stdin is /dev/null */
  int stdout_fd; /* read end of its stdout (SHELL_CHILD_STDOUT), else its stdout is /dev/null */
  int stderr_fd; /* read end of its stderr (always piped) */
} shell_child;

enum { SHELL_CHILD_STDIN = 1u << 0, SHELL_CHILD_STDOUT = 1u << 1 };

/* shell_child_start - fork + exec path with argv/envp (all prepared by the caller, borrowed until
   it returns) in cwd (NULL = ours), in a new process group, signals reset to their defaults. With
   a run_dir, the child records its group there before exec (process.c, GROUP_RECORD), so a reaper
   can stop it if hm dies first. RETURNS 1 = running; 0 = not started (the record could not be
   opened, or fork, chdir or exec failed), *c holds no process. */
SHELL_PRIVATE int shell_child_start(hm_ctx *ctx, shell_child *c, const char *path, char *const argv[],
                                    char *const envp[], const char *cwd, const char *run_dir, unsigned flags);
/* shell_child_exited - 1 once the child itself has exited. It stays unreaped (a zombie keeps its
   pid, hence its group id, from being reused) until shell_child_reap. */
SHELL_PRIVATE int shell_child_exited(const shell_child *c);
/* shell_child_signal_group - send sig to every process of the child's group. */
SHELL_PRIVATE void shell_child_signal_group(const shell_child *c, int sig);
/* shell_child_reap - wait for the child; *exit_code = its code, or 128 + n when killed by signal n.
   RETURNS 1, or 0 when the status could not be collected. Closes nothing. */
SHELL_PRIVATE int shell_child_reap(hm_ctx *ctx, shell_child *c, int *exit_code);
/* shell_child_close_pipes - close our ends of its pipes (the process is untouched). */
SHELL_PRIVATE void shell_child_close_pipes(shell_child *c);
/* shell_close_fd - close *fd if open and set it to -1. */
SHELL_PRIVATE void shell_close_fd(int *fd);
/* shell_run_tool - run a system tool (argv[0] looked up in the host's PATH) to completion in cwd,
   with the host's environment, polling keep_going; when archive_size > 0 the workspace archive is
   streamed into its stdin. `what` names the job in messages ("extracting ... into '<dir>'"). The
   tool's group is recorded in run_dir (see shell_child_start).
   RETURNS SHELL_DONE when it exited 0; SHELL_FAILED with its exit code and stderr in the message;
   SHELL_CANCELLED when told to stop (the tool is killed). */
SHELL_PRIVATE shell_status shell_run_tool(hm_ctx *ctx, const char *what, char *const argv[], const char *cwd,
                                          const char *run_dir, const uint8_t archive_id[16], uint64_t archive_size);
/* shell_host_environ - the process's environment (environ). Borrowed; never modify it. */
SHELL_PRIVATE char **shell_host_environ(void);
/* shell_errno_text - strerror text of err, in ctx memory (a literal when out of memory). */
SHELL_PRIVATE const char *shell_errno_text(hm_ctx *ctx, int err);
/* shell_now_ms - a monotonic clock in milliseconds. */
SHELL_PRIVATE int64_t shell_now_ms(void);

/* ---- command.c: the step's command ---------------------------------------------------------------- */

/* shell_run_command - `/bin/sh -c <cmd>` in step_dir with the step's environment; streams its
   output as step log lines until it exits, then kills what it left in its process group. On
   keep_going 0: SIGTERM to the group, SIGKILL 2 s later, *exit_code = 130. Its group is recorded
   in run_dir (see shell_child_start). RETURNS SHELL_DONE with *exit_code set, or SHELL_FAILED. */
SHELL_PRIVATE shell_status shell_run_command(hm_ctx *ctx, const hm_executor_input *in, const char *run_dir,
                                             const char *step_dir, int32_t *exit_code);

/* ---- lines.c: output split into log lines --------------------------------------------------------- */

/* One stream's partial line. Zero it, set stream, feed bytes, finish once, then free. `data` is
   ours (realloc'd, grown up to about SHELL_LINE_PIECE_MAX + one read). */
typedef struct shell_lines {
  hm_stream stream;
  char *data;
  size_t len;
  size_t cap;
} shell_lines;

/* A line longer than this reaches hm as several log lines of at most this many bytes, cut at a
   UTF-8 character boundary: nothing is lost, and memory stays bounded. */
#define SHELL_LINE_PIECE_MAX ((size_t)1 << 20)

/* shell_lines_feed - split bytes on '\n' and emit every complete line (without its "\n" or "\r\n").
   RETURNS 1, or 0 when a host call failed or memory ran out (ctx error; stop feeding). */
SHELL_PRIVATE int shell_lines_feed(hm_ctx *ctx, shell_lines *lines, const char *bytes, size_t n);
/* shell_lines_finish - emit the last line if it had no newline. RETURNS as shell_lines_feed. */
SHELL_PRIVATE int shell_lines_finish(hm_ctx *ctx, shell_lines *lines);
/* shell_lines_free - release data. Safe on a zeroed or finished value. */
SHELL_PRIVATE void shell_lines_free(shell_lines *lines);

#endif /* HM_SHELL_H */
