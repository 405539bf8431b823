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

/* ---- overlay.c: a builds_in sibling as an overlay mount on its parent's directory ------------------ */

/* An overlay to mount, in the step's own mount namespace, before its command starts. All strings
   are ctx memory, prepared before fork (the child only makes system calls). */
typedef struct shell_view {
  const char *run_dir;    /* the mounting process chdirs here: the options name layers relative to it */
  const char *target;     /* <run dir>/<name>: where it is mounted, the step's directory */
  const char *lowers;     /* the lowerdir text: names relative to run_dir, top first, ':'-separated */
  const char *options;    /* lowerdir=…,upperdir=.up-<name>,workdir=.wk-<name>,… (overlay.c) */
  const char *work_inner; /* <run dir>/.wk-<name>/work, opened up after mounting */
  char *const *aliases;   /* NULL-terminated: step directories (relative) the view is bound over too */
  int own_user_ns;        /* 1 (not root): a user namespace that maps only our uid and gid */
  char uid_map[48], gid_map[48];
} shell_view;

/* shell_overlay_usable - 1 when siblings may run on overlays: not HM_SHELL_SIBLINGS=copy, and a
   probe mount in run_dir worked (probed once per process; the outcome is logged at debug level).
   On 0, *why_not says why. */
SHELL_PRIVATE int shell_overlay_usable(hm_ctx *ctx, const char *run_dir, const char **why_not);
/* shell_view_init - the view of <run dir>/<name> over `lowers`, its upper and work layers beside it
   (made empty when fresh, kept as they are to mount a finished view again). RETURNS 1, or 0 (ctx
   error). */
SHELL_PRIVATE int shell_view_init(hm_ctx *ctx, shell_view *view, const char *run_dir, const char *name,
                                  const char *lowers, int fresh);
/* shell_sibling_lowers - the lowerdir text of a new view `name` on a parent directory `parent_name`
   whose own lowers are parent_lowers (NULL: a plain directory). NULL when the mount options would
   not fit in a page (then copy), or out of memory. */
SHELL_PRIVATE char *shell_sibling_lowers(hm_ctx *ctx, const char *name, const char *parent_name,
                                         const char *parent_lowers);
/* shell_layers_get - *lowers = the lowerdir text recorded for snapshot, NULL when it names a plain
   directory. RETURNS 1, or 0 when a host call failed. */
SHELL_PRIVATE int shell_layers_get(hm_ctx *ctx, hm_str snapshot, char **lowers);
/* shell_layers_set - record the lowerdir text of the view whose snapshot this is. RETURNS as kv_set. */
SHELL_PRIVATE int shell_layers_set(hm_ctx *ctx, const char *snapshot, const char *lowers);
/* shell_view_enter - in a child between fork and exec (async-signal-safe): new namespaces, then
   the mount. RETURNS 1, or 0 with errno set. The child's cwd is then run_dir: chdir afterwards. */
SHELL_PRIVATE int shell_view_enter(const shell_view *view);

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
/* Where a step's directory came from: for the debug line, the snapshot and the command's view. */
typedef enum shell_origin {
  SHELL_FROM_ARCHIVE = 0, /* a root step: a fresh directory holding the workspace archive */
  SHELL_TAKEN_OVER,       /* an only builds_in child: its parent's directory itself (handover.c) */
  SHELL_OVERLAY,          /* a sibling: its own directory, an overlay on its parent's (overlay.c) */
  SHELL_COPIED            /* a sibling: its own directory, a copy of its parent's */
} shell_origin;

typedef struct shell_workdir {
  char *dir; /* where the command runs; NULL until chosen */
  shell_origin origin;
  const char *parent_dir; /* a child's: its parent's directory */
  const char *why_copied; /* SHELL_COPIED: why not an overlay */
  int has_view;           /* 1: the command runs in `view`, mounted at dir */
  shell_view view;
} shell_workdir;

/* shell_prepare_workdir - the directory the step runs in, made ready, in *wd: a root step's is a
   fresh <run dir>/<key> holding the workspace archive; a builds_in child's is its parent's
   directory itself when the parent handed it over (handover.c; mounted again when the parent's is
   a view), else a fresh <run dir>/<key> that is an overlay on the parent's (overlay.c) or, where
   overlays are not usable, a copy of it. wd->dir is set once the directory is chosen. */
SHELL_PRIVATE shell_status shell_prepare_workdir(hm_ctx *ctx, const hm_executor_input *in, const char *run_dir,
                                                 shell_workdir *wd);
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
   can stop it if hm dies first. With a view (else NULL), the child mounts it in namespaces of its
   own before chdir (overlay.c). RETURNS 1 = running; 0 = not started (the record could not be
   opened, or fork, chdir or exec failed), *c holds no process. */
SHELL_PRIVATE int shell_child_start(hm_ctx *ctx, shell_child *c, const char *path, char *const argv[],
                                    char *const envp[], const char *cwd, const char *run_dir,
                                    const shell_view *view, unsigned flags);
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
   tool's group is recorded in run_dir; with a view (else NULL) it runs inside it (see
   shell_child_start).
   RETURNS SHELL_DONE when it exited 0; SHELL_FAILED with its exit code and stderr in the message;
   SHELL_CANCELLED when told to stop (the tool is killed). */
SHELL_PRIVATE shell_status shell_run_tool(hm_ctx *ctx, const char *what, char *const argv[], const char *cwd,
                                          const char *run_dir, const shell_view *view, const uint8_t archive_id[16],
                                          uint64_t archive_size);
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
   in run_dir; with a view (else NULL) it runs inside it (see shell_child_start). RETURNS SHELL_DONE with *exit_code set, or SHELL_FAILED. */
SHELL_PRIVATE shell_status shell_run_command(hm_ctx *ctx, const hm_executor_input *in, const char *run_dir,
                                             const char *step_dir, const shell_view *view, int32_t *exit_code);

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
