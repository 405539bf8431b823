/* overlay.c - a builds_in sibling's directory as an overlay on its parent's (see shell.h, "overlay.c").

   Why: siblings must not see each other's writes, so each used to start from `cp -pPR` of the
   parent's directory, which costs seconds for a node_modules of 10 000 files. An overlay mount
   costs about a millisecond whatever the size: the parent's finished directory is the read-only
   lower layer, and everything the sibling writes, deletes (whiteouts), appends to or chmods lands
   in its own upper layer, `<run>/.up-<name>` (work directory `<run>/.wk-<name>`), mounted on the
   sibling's own directory `<run>/<name>`. Unchanged files keep their inodes' mtimes.

   Absolute paths: tools record them (CMake's build tree, virtualenvs), and a parent's lead to the
   parent's directory. In the step's namespace the view is also bound over the directory of every
   step below it (the parent's, the grandparent's...), so those paths lead into the sibling's own
   view: it can rebuild in place, and its writes there stay its own, as a chain's would.

   Where the mount lives: only in the step command's own mount namespace, made between fork and
   exec (shell_view_enter). As root that is a new mount namespace with propagation made private,
   so nothing reaches the host's mount table; unprivileged it is a new user namespace that maps
   only our uid and gid to themselves (files keep their owner; Linux >= 5.11 lets such a namespace
   mount overlayfs with `userxattr`; root uses trusted xattrs and redirect_dir, see options_text). The mount dies with the last process of the step, however hm
   ends (kill -9 included): there is never a mount to clean up, only directories, which the run
   directory's removal (and `hm gc`) deletes like any other.

   A sibling's own children see its files the same way: its upper layer on top of its lowers. The
   layers of a view are recorded in build-scope KV, "shell:layers:<snapshot>" = the lowerdir text
   (names relative to the run directory, top first; escaped step keys hold no ':' or ','). An only
   child takes the view over (handover.c) by mounting it again at the same path; siblings stack
   one more layer. Names are relative because the mount options must fit in one page: the
   mounting process chdirs into the run directory first.

   Whether it works here is measured once per process (a probe mount in the run directory, which
   also deletes a lower file, i.e. makes a whiteout). Anywhere it does not (another OS, a kernel
   without unprivileged overlayfs, a seccomp filter, a TMPDIR without user xattrs),
   HM_SHELL_SIBLINGS=copy, or options that would not fit: siblings copy, as before.

   Trade-offs inside an unprivileged view: setuid programs (sudo) do not gain privileges, files of
   other users show as nobody, and renaming a directory that came from the lower layer fails with
   EXDEV (mv falls back to copying; see options_text). HM_SHELL_SIBLINGS=copy restores copies. */
#if defined(__linux__)
#define _GNU_SOURCE /* unshare, CLONE_NEW* */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sched.h>
#include <sys/mount.h>
#endif

#include "shell.h"

#define LAYERS_PREFIX "shell:layers:" /* build-scope KV, ours: a view's lowerdir text */
#define UPPER_PREFIX ".up-"
#define WORK_PREFIX ".wk-"
#define OPTIONS_MAX 3500 /* mount(2) takes one page of options; keep room for the page's end */
#define MODE_ENV "HM_SHELL_SIBLINGS"

/* ---- in the child, after fork: async-signal-safe calls only ---------------------------------- */

#if defined(__linux__)
static int write_text(const char *path, const char *text) {
  size_t len = strlen(text);
  int fd = open(path, O_WRONLY | O_CLOEXEC), ok;
  if (fd < 0) return 0;
  ok = write(fd, text, len) == (ssize_t)len;
  close(fd);
  return ok;
}
#endif

SHELL_PRIVATE int shell_view_enter(const shell_view *view) {
#if defined(__linux__)
  char *const *alias;
  if (unshare(CLONE_NEWNS | (view->own_user_ns ? CLONE_NEWUSER : 0)) != 0) return 0;
  /* gid_map needs setgroups denied first when unprivileged; without a gid mapping, files cannot
     be created at all (EOVERFLOW). */
  if (view->own_user_ns && (!write_text("/proc/self/setgroups", "deny") ||
                            !write_text("/proc/self/uid_map", view->uid_map) ||
                            !write_text("/proc/self/gid_map", view->gid_map)))
    return 0;
  /* The host's / is usually a shared mount: without this, root's overlay would propagate there. */
  if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return 0;
  if (chdir(view->run_dir) != 0) return 0;
  if (mount("overlay", view->target, "overlay", 0, view->options) != 0) return 0;
  /* overlayfs makes <work>/work mode 000 and leaves whiteout templates in it: opened up, an
     unprivileged reaper (rm -r, rmSync) can delete it after the namespace is gone. */
  chmod(view->work_inner, 0700);
  for (alias = view->aliases; *alias; alias++)
    if (mount(view->target, *alias, NULL, MS_BIND, NULL) != 0) return 0;
  return 1;
#else
  (void)view;
  errno = ENOSYS;
  return 0;
#endif
}

/* ---- preparing a view ------------------------------------------------------------------------- */

/* <run dir>/<prefix><name>, emptied and made again (with mode) when fresh. */
static char *layer_dir(hm_ctx *ctx, const char *run_dir, const char *prefix, const char *name, int fresh,
                       mode_t mode) {
  char *dir = hm_ctx_sprintf(ctx, "%s/%s%s", run_dir, prefix, name);
  int err;
  if (!dir || !fresh) return dir;
  err = shell_remove_tree(dir);
  if (err || mkdir(dir, mode) != 0) {
    hm_fail(ctx, "mkdir_failed", "cannot create the overlay layer '%s': %s", dir,
            shell_errno_text(ctx, err ? err : errno));
    return NULL;
  }
  return dir;
}

/* The step directories among the lowers ("a" for ".up-a", "install" for "install"): the view is
   bound over each of them too, in the step's namespace. */
static char **aliases_of(hm_ctx *ctx, const char *lowers) {
  size_t count = 1, n = 0;
  const char *p;
  char **aliases, *copy = hm_ctx_sprintf(ctx, "%s", lowers), *name, *next;
  for (p = lowers; *p; p++) count += *p == ':';
  aliases = hm_ctx_alloc(ctx, (count + 1) * sizeof *aliases);
  if (!copy || !aliases) return NULL;
  for (name = copy; name; name = next) {
    next = strchr(name, ':');
    if (next) *next++ = '\0';
    if (strncmp(name, UPPER_PREFIX, sizeof UPPER_PREFIX - 1) == 0) name += sizeof UPPER_PREFIX - 1;
    if (*name && *name != '.') aliases[n++] = name; /* '.': ours (the probe's), not a step's */
  }
  aliases[n] = NULL;
  return aliases;
}

/* Unprivileged, overlayfs keeps its own attributes in user.overlay.* xattrs (`userxattr`), which
   rules out redirect_dir: renaming a directory of a lower layer fails with EXDEV. Root keeps them
   in trusted.*, where redirect_dir=on makes that rename work. The choice is per process (its
   euid), so every layer of a run is written and read the same way. */
static char *options_text(hm_ctx *ctx, const char *lowers, const char *name) {
  return hm_ctx_sprintf(ctx, "lowerdir=%s,upperdir=" UPPER_PREFIX "%s,workdir=" WORK_PREFIX "%s,%s", lowers, name,
                        name, geteuid() != 0 ? "userxattr" : "redirect_dir=on");
}

SHELL_PRIVATE int shell_view_init(hm_ctx *ctx, shell_view *view, const char *run_dir, const char *name,
                                  const char *lowers, int fresh) {
  char *work;
  memset(view, 0, sizeof *view);
  view->run_dir = run_dir;
  view->target = hm_ctx_sprintf(ctx, "%s/%s", run_dir, name);
  view->options = options_text(ctx, lowers, name);
  view->lowers = lowers;
  view->aliases = aliases_of(ctx, lowers);
  if (!view->aliases) return 0;
  if (!view->target || !view->options || !layer_dir(ctx, run_dir, UPPER_PREFIX, name, fresh, 0755))
    return 0; /* the upper layer's root is the view's root: the mode of a step directory */
  work = layer_dir(ctx, run_dir, WORK_PREFIX, name, fresh, 0700);
  view->work_inner = work ? hm_ctx_sprintf(ctx, "%s/work", work) : NULL;
  if (!view->work_inner) return 0;
  view->own_user_ns = geteuid() != 0;
  snprintf(view->uid_map, sizeof view->uid_map, "%lu %lu 1", (unsigned long)geteuid(), (unsigned long)geteuid());
  snprintf(view->gid_map, sizeof view->gid_map, "%lu %lu 1", (unsigned long)getegid(), (unsigned long)getegid());
  return 1;
}

SHELL_PRIVATE char *shell_sibling_lowers(hm_ctx *ctx, const char *name, const char *parent_name,
                                         const char *parent_lowers) {
  char *lowers = parent_lowers ? hm_ctx_sprintf(ctx, UPPER_PREFIX "%s:%s", parent_name, parent_lowers)
                               : hm_ctx_sprintf(ctx, "%s", parent_name);
  char *options = lowers ? options_text(ctx, lowers, name) : NULL;
  return options && strlen(options) <= OPTIONS_MAX ? lowers : NULL;
}

/* ---- the layers record -------------------------------------------------------------------------- */

SHELL_PRIVATE int shell_layers_get(hm_ctx *ctx, hm_str snapshot, char **lowers) {
  hm_bytes stored;
  char *key = hm_ctx_sprintf(ctx, LAYERS_PREFIX HM_STR_FMT, HM_STR_ARG(snapshot));
  *lowers = NULL;
  if (!key || !hm_kv_get(ctx, HM_KV_BUILD, key, &stored)) return 0;
  if (!stored.ptr) return 1;
  *lowers = hm_ctx_alloc(ctx, stored.len + 1);
  if (!*lowers) return 0;
  memcpy(*lowers, stored.ptr, stored.len);
  (*lowers)[stored.len] = '\0';
  return 1;
}

SHELL_PRIVATE int shell_layers_set(hm_ctx *ctx, const char *snapshot, const char *lowers) {
  char *key = hm_ctx_sprintf(ctx, LAYERS_PREFIX "%s", snapshot);
  return key && hm_kv_set(ctx, HM_KV_BUILD, key, lowers, strlen(lowers));
}

/* ---- is it usable here? --------------------------------------------------------------------------- */

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static int probed;                /* under probe_lock: 0 not yet, 1 usable, -1 not */
static char probe_reason[256];    /* under probe_lock: why not */

#if defined(__linux__)
/* In the probe child: mount, delete a lower file (a whiteout), write one. Exit 0 when all worked. */
static void probe_child(const shell_view *view, const char *gone, const char *made) {
  int fd;
  if (!shell_view_enter(view)) _exit(1);
  if (unlink(gone) != 0) _exit(2);
  fd = open(made, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) _exit(3);
  close(fd);
  _exit(0);
}

/* The probe's view: PROBE_NAME over PROBE_LOWER (holding one file), named like a sibling's
   (leading dots: escaped step keys never start with one). */
#define PROBE_NAME ".probe"
#define PROBE_LOWER ".probe-lower"

static void remove_probe(hm_ctx *ctx, const char *run_dir) {
  static const char *const names[] = {PROBE_NAME, PROBE_LOWER, UPPER_PREFIX PROBE_NAME, WORK_PREFIX PROBE_NAME};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    char *dir = hm_ctx_sprintf(ctx, "%s/%s", run_dir, names[i]);
    if (dir) shell_remove_tree(dir);
  }
}

/* Writes why not into probe_reason when it fails. RETURNS 1 when an overlay works in run_dir. */
static int probe(hm_ctx *ctx, const char *run_dir) {
  static const char *const step[] = {"the probe", "mounting a test overlay", "deleting a file in it",
                                     "writing to it"};
  char *target = hm_ctx_sprintf(ctx, "%s/" PROBE_NAME, run_dir), *lower = hm_ctx_sprintf(ctx, "%s/" PROBE_LOWER, run_dir);
  char *file = hm_ctx_sprintf(ctx, "%s/" PROBE_LOWER "/file", run_dir);
  char *gone = hm_ctx_sprintf(ctx, "%s/" PROBE_NAME "/file", run_dir), *made = hm_ctx_sprintf(ctx, "%s/" PROBE_NAME "/new", run_dir);
  shell_view view;
  int fd = -1, status = 0, code, ok = 0;
  pid_t pid;
  if (!target || !lower || !file || !gone || !made) return 0;
  remove_probe(ctx, run_dir);
  if (mkdir(target, 0700) != 0 || mkdir(lower, 0700) != 0 ||
      (fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0) {
    snprintf(probe_reason, sizeof probe_reason, "cannot prepare '%s': %s", target, shell_errno_text(ctx, errno));
  } else if (shell_view_init(ctx, &view, run_dir, PROBE_NAME, PROBE_LOWER, 1)) {
    if ((pid = fork()) == 0) probe_child(&view, gone, made);
    if (pid < 0) {
      snprintf(probe_reason, sizeof probe_reason, "fork: %s", shell_errno_text(ctx, errno));
    } else {
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
      ok = WIFEXITED(status) && code == 0;
      if (!ok)
        snprintf(probe_reason, sizeof probe_reason, "%s failed%s", step[code >= 1 && code <= 3 ? code : 0],
                 view.own_user_ns ? " in a user namespace of this user" : "");
    }
  }
  if (fd >= 0) close(fd);
  remove_probe(ctx, run_dir);
  return ok;
}
#endif

SHELL_PRIVATE int shell_overlay_usable(hm_ctx *ctx, const char *run_dir, const char **why_not) {
  const char *mode = getenv(MODE_ENV);
  int usable;
  *why_not = NULL;
  if (mode && strcmp(mode, "copy") == 0) {
    *why_not = MODE_ENV "=copy";
    return 0;
  }
  pthread_mutex_lock(&probe_lock);
  if (!probed) {
#if defined(__linux__)
    probed = probe(ctx, run_dir) ? 1 : -1;
#else
    snprintf(probe_reason, sizeof probe_reason, "overlay mounts are Linux only");
    probed = -1;
#endif
    if (probed > 0) hm_logf(ctx, HM_LOG_DEBUG, "builds_in siblings get overlay mounts on their parent's directory");
    else hm_logf(ctx, HM_LOG_DEBUG, "builds_in siblings get copies of their parent's directory: %s", probe_reason);
  }
  usable = probed > 0;
  if (!usable) *why_not = hm_ctx_sprintf(ctx, "%s", probe_reason);
  pthread_mutex_unlock(&probe_lock);
  return usable;
}
