/* shell - hm's first-party runner "shell": runs each step's `cmd` with /bin/sh on this machine.

   Design (`docs/design.md`, "The shell runner: where a step runs"):
   - Every run gets ${TMPDIR:-/tmp}/hm-shell-<run id>/ and every step one subdirectory, named by
     its key escaped to [A-Za-z0-9._-] plus %XX (workspace.c). ExecutorInput.workdir, always
     /workspace, maps to that directory; the command sees it as its cwd, PWD and HM_WORKSPACE.
   - A root step's directory is filled from the workspace archive: its bytes are read from the
     host in 64 KiB chunks (archive_read must run on the calling thread) and piped into the system
     `tar -xf -` (process.c). System tar rather than an extractor of our own: GNU tar and bsdtar
     both read pax headers (long names), keep symlinks as symlinks, and refuse members with ".."
     or a leading "/", which a small extractor would have to get right by itself.
   - A builds_in child (parent_snapshot "shell:<run id>/<key>") runs at its parent's path when it
     is the parent's only builds_in child: the parent, told its children by hm, hands its directory
     over when it passes (handover.c), so a chain runs in one directory, with no copy, and tools
     that record absolute paths (CMake's build tree) keep working. Siblings each start from the
     parent's finished directory at their own path: an overlay mount on it (overlay.c: about a
     millisecond, where the kernel permits one), else a copy (`cp -pPR`, seconds for a big
     node_modules); the parent's directory stays as the parent left it, so siblings never see
     each other, not even through absolute paths. (Giving one sibling the original path would let
     the others' absolute paths lead into a directory that sibling is changing.) A debug line says
     which way each step's directory was made.
   - The command runs as `/bin/sh -c <cmd>` in its own process group, stdin /dev/null, with the
     host's environment, then ExecutorInput.env, then PWD and HM_WORKSPACE (command.c). Its stdout
     and stderr become step log lines as they arrive (lines.c). When it exits, whatever it left in
     its group is killed. Cancel (keep_going 0, also how hm times a step out): SIGTERM to the
     group, SIGKILL 2 s later, exit code 130. Killed by signal n: exit code 128 + n.
   - Exit 0 commits the snapshot "shell:<run id>/<key>" naming the directory the step ran in: its
     own key's, or, for a child that took its parent's over, the parent's snapshot unchanged. A
     snapshot that is an overlay view has its layers recorded in build-scope KV (overlay.c).
   - A lifecycle hook (after) remembers the run id in build-scope KV on build_start, and on
     build_end removes the run directory (nftw, never following symlinks). `hm gc` removes what a
     crashed run left.
   Failures of the plugin itself (a directory, tar, fork) return a PluginError naming the path and
   the errno text; a failing command is not one: it is the step's exit code.

   Ownership: the input (`in`) is the host's, borrowed until the call returns. Paths, argv, envp
   and result strings are allocated in the call's arena (hm_ctx_alloc / hm_ctx_sprintf) and die
   with the call. The only heap memory we free ourselves is the line buffers (lines.c). Pipe fds
   and child processes never outlive the call: every path closes and reaps them. The only global
   is a mutex around fork (process.c); calls on different threads share nothing else. */
#define _XOPEN_SOURCE 700
#define HM_PLUGIN_IMPLEMENTATION
#include "shell.h"

#include <string.h>

#define RUN_ID_KEY "shell:run-id" /* build-scope KV: the run id, for build_end */

static int check_workdir(hm_ctx *ctx, hm_str workdir) {
  if (workdir.ptr == NULL || hm_str_eq(workdir, "/workspace")) return 1;
  return hm_fail(ctx, "unsupported_workdir",
                 "workdir '" HM_STR_FMT "' is not supported (the shell runner maps /workspace)", HM_STR_ARG(workdir));
}

/* The snapshot a passing step commits: the directory it ran in, named by the step it belongs to. */
static char *snapshot_of(hm_ctx *ctx, const hm_executor_input *in, const char *run_id, shell_origin origin) {
  if (origin == SHELL_TAKEN_OVER) return hm_ctx_strdup(ctx, in->parent_snapshot); /* still the parent's */
  return hm_ctx_sprintf(ctx, "shell:%s/" HM_STR_FMT, run_id, HM_STR_ARG(in->step.key));
}

/* The debug line that says where the step runs and how its directory was made. */
static void log_workdir(hm_ctx *ctx, const hm_executor_input *in, const shell_workdir *wd) {
  const char *how = "";
  switch (wd->origin) {
    case SHELL_FROM_ARCHIVE: break;
    case SHELL_TAKEN_OVER:
      how = wd->has_view ? " (its parent's directory, an overlay mounted again)" : " (its parent's directory)";
      break;
    case SHELL_OVERLAY: how = hm_ctx_sprintf(ctx, " (an overlay on '%s')", wd->parent_dir); break;
    case SHELL_COPIED:
      how = hm_ctx_sprintf(ctx, " (a copy of '%s': %s)", wd->parent_dir, wd->why_copied ? wd->why_copied : "");
      break;
  }
  hm_logf(ctx, HM_LOG_DEBUG, "step '" HM_STR_FMT "' runs in %s%s", HM_STR_ARG(in->step.key), wd->dir,
          how ? how : "");
}

static int shell_execute(hm_ctx *ctx, const hm_executor_input *in, hm_step_result *out) {
  char run_id[SHELL_UUID_LEN + 1];
  char *run_dir, *snapshot;
  shell_workdir wd;
  shell_status status;
  int32_t exit_code = 0;
  if (!check_workdir(ctx, in->workdir)) return 0;
  shell_uuid_text(in->run_id, run_id);
  run_dir = shell_run_dir(ctx, run_id);
  if (!run_dir) return 0;

  status = shell_prepare_workdir(ctx, in, run_dir, &wd);
  if (wd.dir) log_workdir(ctx, in, &wd);
  if (status == SHELL_DONE && !hm_keep_going(ctx)) status = hm_ok(ctx) ? SHELL_CANCELLED : SHELL_FAILED;
  if (status == SHELL_DONE)
    status = shell_run_command(ctx, in, run_dir, wd.dir, wd.has_view ? &wd.view : NULL, &exit_code);
  if (status == SHELL_FAILED) return 0;
  out->exit_code = status == SHELL_CANCELLED ? SHELL_EXIT_CANCELLED : exit_code;
  if (out->exit_code == 0) {
    snapshot = snapshot_of(ctx, in, run_id, wd.origin);
    if (!snapshot || !shell_hand_over(ctx, snapshot)) return 0;
    out->committed_snapshot = snapshot;
  }
  return hm_ok(ctx);
}

/* build_end: remove the directory of the run that build_start recorded (nothing if none). */
static int remove_run_dir(hm_ctx *ctx) {
  hm_bytes stored;
  char run_id[SHELL_UUID_LEN + 1];
  char *run_dir;
  int err;
  if (!hm_kv_get(ctx, HM_KV_BUILD, RUN_ID_KEY, &stored)) return 0;
  if (!stored.ptr || !shell_is_uuid_text((const char *)stored.ptr, stored.len)) return 1;
  memcpy(run_id, stored.ptr, SHELL_UUID_LEN);
  run_id[SHELL_UUID_LEN] = '\0';
  run_dir = shell_run_dir(ctx, run_id);
  if (!run_dir) return 0;
  err = shell_remove_tree(run_dir);
  if (err)
    hm_logf(ctx, HM_LOG_WARN, "cannot remove the run directory '%s': %s", run_dir, shell_errno_text(ctx, err));
  return 1;
}

static int shell_hook(hm_ctx *ctx, const hm_hook_event *in, hm_hook_outcome *out) {
  out->kind = HM_HOOK_CONTINUE;
  if (in->event.kind == HM_EVENT_BUILD_START) {
    char run_id[SHELL_UUID_LEN + 1];
    shell_uuid_text(in->event.as.build_start.run_id, run_id);
    return hm_kv_set(ctx, HM_KV_BUILD, RUN_ID_KEY, run_id, SHELL_UUID_LEN);
  }
  if (in->event.kind == HM_EVENT_BUILD_END) return remove_run_dir(ctx);
  return 1;
}

static const hm_hook_kind hook_kinds[] = {HM_HOOK_BUILD_START, HM_HOOK_BUILD_END};

static const hm_capability capabilities[] = {
    {.kind = HM_CAP_STEP_EXECUTOR, .as.step_executor = {.runner = "shell", .is_default = 0}},
    {.kind = HM_CAP_LIFECYCLE_HOOK,
     .as.lifecycle_hook = {.events = hook_kinds,
                           .event_count = sizeof hook_kinds / sizeof hook_kinds[0],
                           .phase = HM_HOOK_AFTER,
                           /* build_end removes every step directory of the run: an installed
                              node_modules of 154 MB took 9.5-11 s to delete on a busy disk here */
                           .timeout_ms = 120000}},
};

static const hm_manifest manifest = {
    .name = "shell",
    .version = "0.1.0",
    .description = "Runs steps with /bin/sh on this machine, each in its own directory under $TMPDIR",
    .capabilities = capabilities,
    .capability_count = sizeof capabilities / sizeof capabilities[0],
};

static const hm_plugin_def plugin = {
    .manifest = &manifest,
    .execute_step = shell_execute,
    .on_hook_event = shell_hook,
    .needs = HM_NEEDS_EMIT_STEP_LOG | HM_NEEDS_KEEP_GOING | HM_NEEDS_ARCHIVE_READ | HM_NEEDS_ARCHIVE_TOTAL_SIZE |
             HM_NEEDS_KV_GET | HM_NEEDS_KV_SET,
};
HM_PLUGIN(plugin);
