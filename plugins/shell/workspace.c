/* workspace.c - the run and step directories (see shell.h, "workspace.c").

   ${TMPDIR:-/tmp} is resolved with realpath, so HM_WORKSPACE is the physical path `pwd -P` shows
   (macOS's TMPDIR lives behind the /var -> /private/var symlink). The run directory is mode 0700
   and must be a real directory owned by us: /tmp is shared, and a planted symlink must not
   redirect a step. A root step's directory is filled by system tar from the archive; a child that
   its parent did not hand its directory (handover.c) gets an overlay on it (overlay.c) or, where
   none is usable, `cp -pPR parent/. child/` (symlinks copied as symlinks; GNU cp >= 9 clones
   files where the filesystem has reflinks). Names starting with '.' in the run directory are ours
   (escaped keys never start with one): the process-group record and overlay layers. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shell.h"

#define SNAPSHOT_PREFIX "shell:"
#define OPEN_FDS_FOR_NFTW 16

SHELL_PRIVATE void shell_uuid_text(const uint8_t id[16], char out[SHELL_UUID_LEN + 1]) {
  static const char hex[] = "0123456789abcdef";
  int i;
  char *w = out;
  for (i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *w++ = '-';
    *w++ = hex[id[i] >> 4];
    *w++ = hex[id[i] & 15];
  }
  *w = '\0';
}

SHELL_PRIVATE int shell_is_uuid_text(const char *s, size_t len) {
  size_t i;
  if (len != SHELL_UUID_LEN) return 0;
  for (i = 0; i < len; i++) {
    int dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = s[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  return 1;
}

SHELL_PRIVATE char *shell_run_dir(hm_ctx *ctx, const char *run_id) {
  const char *tmp = getenv("TMPDIR");
  char *base, *dir;
  if (!tmp || !*tmp) tmp = "/tmp";
  base = realpath(tmp, NULL);
  if (!base) {
    hm_fail(ctx, "no_tmpdir", "cannot use the temporary directory '%s': %s", tmp, shell_errno_text(ctx, errno));
    return NULL;
  }
  dir = hm_ctx_sprintf(ctx, "%s/hm-shell-%s", strcmp(base, "/") == 0 ? "" : base, run_id);
  free(base);
  return dir;
}

static int is_name_byte(unsigned char b) {
  return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '_' || b == '-' ||
         b == '.';
}

SHELL_PRIVATE char *shell_step_dir(hm_ctx *ctx, const char *run_dir, hm_str key) {
  static const char hex[] = "0123456789ABCDEF";
  char *escaped, *w;
  size_t i;
  if (key.len == 0) {
    hm_fail(ctx, "invalid_step", "the step key is empty");
    return NULL;
  }
  escaped = hm_ctx_alloc(ctx, key.len * 3 + 1);
  if (!escaped) return NULL;
  for (w = escaped, i = 0; i < key.len; i++) {
    unsigned char b = (unsigned char)key.ptr[i];
    if (is_name_byte(b) && !(b == '.' && i == 0)) { /* a leading '.' could make "." or ".." */
      *w++ = (char)b;
    } else {
      *w++ = '%';
      *w++ = hex[b >> 4];
      *w++ = hex[b & 15];
    }
  }
  *w = '\0';
  return hm_ctx_sprintf(ctx, "%s/%s", run_dir, escaped);
}

/* ---- removal ------------------------------------------------------------------------------------- */

static int make_dir_writable(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
  (void)ftw;
  if ((type == FTW_D || type == FTW_DNR) && (sb->st_mode & S_IRWXU) != S_IRWXU)
    chmod(path, (sb->st_mode & 07777) | S_IRWXU);
  return 0;
}

/* Post-order: contents before their directory; a symlink is removed, never followed. */
static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
  int failed;
  (void)sb;
  (void)ftw;
  failed = (type == FTW_DP || type == FTW_D || type == FTW_DNR) ? rmdir(path) : unlink(path);
  if (failed == 0 || errno == ENOENT) return 0;
  return errno ? errno : EIO;
}

static int remove_pass(const char *path) {
  int rc = nftw(path, remove_entry, OPEN_FDS_FOR_NFTW, FTW_PHYS | FTW_DEPTH);
  if (rc == -1) return errno == ENOENT ? 0 : errno;
  return rc;
}

SHELL_PRIVATE int shell_remove_tree(const char *path) {
  struct stat sb;
  int err;
  if (lstat(path, &sb) != 0) return errno == ENOENT ? 0 : errno;
  err = remove_pass(path);
  if (err == EACCES || err == EPERM) { /* e.g. Go's read-only module cache: open it up and retry */
    nftw(path, make_dir_writable, OPEN_FDS_FOR_NFTW, FTW_PHYS);
    err = remove_pass(path);
  }
  return err;
}

/* ---- creating and filling ------------------------------------------------------------------------ */

/* The run directory exists (made now, or by an earlier step) and is safe to use. */
static int ensure_run_dir(hm_ctx *ctx, const char *run_dir) {
  struct stat sb;
  if (mkdir(run_dir, 0700) == 0) return 1;
  if (errno != EEXIST)
    return hm_fail(ctx, "mkdir_failed", "cannot create the run directory '%s': %s", run_dir,
                   shell_errno_text(ctx, errno));
  if (lstat(run_dir, &sb) != 0)
    return hm_fail(ctx, "mkdir_failed", "cannot inspect the run directory '%s': %s", run_dir,
                   shell_errno_text(ctx, errno));
  if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid())
    return hm_fail(ctx, "unsafe_run_dir",
                   "'%s' exists but is not a directory owned by this user; refusing to use it", run_dir);
  return 1;
}

/* An empty step directory (a stale one from an earlier attempt is removed first). */
static int fresh_step_dir(hm_ctx *ctx, const char *step_dir) {
  int err = shell_remove_tree(step_dir);
  if (err)
    return hm_fail(ctx, "rmdir_failed", "cannot remove the old step directory '%s': %s", step_dir,
                   shell_errno_text(ctx, err));
  if (mkdir(step_dir, 0755) != 0)
    return hm_fail(ctx, "mkdir_failed", "cannot create the step directory '%s': %s", step_dir,
                   shell_errno_text(ctx, errno));
  return 1;
}

static shell_status extract_archive(hm_ctx *ctx, const hm_executor_input *in, const char *run_dir,
                                    const char *step_dir) {
  static char tar[] = "tar", extract[] = "-xf", from_stdin[] = "-";
  char *argv[4];
  uint64_t size = 0;
  if (!hm_archive_total_size(ctx, in->workspace_archive_id, &size)) return SHELL_FAILED;
  if (size == 0) return SHELL_DONE; /* no archive (or an unknown id): start empty */
  argv[0] = tar;
  argv[1] = extract;
  argv[2] = from_stdin;
  argv[3] = NULL;
  return shell_run_tool(ctx, hm_ctx_sprintf(ctx, "extracting the workspace archive into '%s'", step_dir), argv,
                        step_dir, run_dir, NULL, in->workspace_archive_id, size);
}

/* "shell:<run id>/<step key>" -> that step's directory; NULL (ctx error) for any other text. */
static char *snapshot_dir(hm_ctx *ctx, hm_str snapshot) {
  const size_t prefix = sizeof SNAPSHOT_PREFIX - 1, key_at = prefix + SHELL_UUID_LEN + 1;
  char run_id[SHELL_UUID_LEN + 1];
  hm_str key;
  char *run_dir;
  if (!hm_str_starts_with(snapshot, SNAPSHOT_PREFIX) || snapshot.len <= key_at ||
      snapshot.ptr[key_at - 1] != '/' || !shell_is_uuid_text(snapshot.ptr + prefix, SHELL_UUID_LEN)) {
    hm_fail(ctx, "bad_parent_snapshot",
            "parent snapshot '" HM_STR_FMT "' is not a shell snapshot (shell:<run id>/<step key>)",
            HM_STR_ARG(snapshot));
    return NULL;
  }
  memcpy(run_id, snapshot.ptr + prefix, SHELL_UUID_LEN);
  run_id[SHELL_UUID_LEN] = '\0';
  key.ptr = snapshot.ptr + key_at;
  key.len = snapshot.len - key_at;
  run_dir = shell_run_dir(ctx, run_id);
  return run_dir ? shell_step_dir(ctx, run_dir, key) : NULL;
}

/* The existing directory of the parent snapshot; NULL (ctx error) when there is none. */
static char *parent_dir_of(hm_ctx *ctx, hm_str snapshot) {
  struct stat sb;
  char *dir = snapshot_dir(ctx, snapshot);
  if (!dir) return NULL;
  if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    hm_fail(ctx, "parent_snapshot_missing", "parent snapshot '" HM_STR_FMT "': no directory '%s'",
            HM_STR_ARG(snapshot), dir);
    return NULL;
  }
  return dir;
}

/* cp runs inside the parent's view when the parent is one: outside, its directory is empty. */
static shell_status copy_parent(hm_ctx *ctx, const char *run_dir, const char *parent_dir, const shell_view *parent_view,
                                const char *step_dir) {
  static char cp[] = "cp", flags[] = "-pPR";
  char *argv[5];
  argv[0] = cp;
  argv[1] = flags;
  argv[2] = hm_ctx_sprintf(ctx, "%s/.", parent_dir);
  argv[3] = hm_ctx_sprintf(ctx, "%s/", step_dir);
  argv[4] = NULL;
  if (!argv[2] || !argv[3]) return SHELL_FAILED;
  return shell_run_tool(ctx, hm_ctx_sprintf(ctx, "copying '%s' into '%s'", parent_dir, step_dir), argv, NULL,
                        run_dir, parent_view, NULL, 0);
}

/* The name of a directory of the run directory (its last component), NULL for any other path. */
static const char *name_in_run(const char *run_dir, const char *dir) {
  size_t len = strlen(run_dir);
  if (strncmp(dir, run_dir, len) != 0 || dir[len] != '/' || strchr(dir + len + 1, '/')) return NULL;
  return dir + len + 1;
}

/* A builds_in child's directory: the parent's own (handed over), an overlay on it, or a copy. */
static shell_status prepare_child(hm_ctx *ctx, const hm_executor_input *in, const char *run_dir, shell_workdir *wd) {
  char run_id[SHELL_UUID_LEN + 1];
  char *parent_dir, *parent_lowers = NULL, *own, *lowers = NULL;
  const char *parent_name, *own_name;
  shell_view parent_view;
  int taken_over = 0;
  wd->parent_dir = parent_dir = parent_dir_of(ctx, in->parent_snapshot);
  if (!parent_dir || !shell_handed_over(ctx, in, &taken_over) ||
      !shell_layers_get(ctx, in->parent_snapshot, &parent_lowers))
    return SHELL_FAILED;
  parent_name = name_in_run(run_dir, parent_dir);
  if (parent_lowers && !parent_name) {
    hm_fail(ctx, "bad_parent_snapshot", "parent snapshot '" HM_STR_FMT "' is a view of another run",
            HM_STR_ARG(in->parent_snapshot));
    return SHELL_FAILED;
  }
  if (parent_lowers && !shell_view_init(ctx, &parent_view, run_dir, parent_name, parent_lowers, 0))
    return SHELL_FAILED;
  if (taken_over) {
    wd->dir = parent_dir;
    wd->origin = SHELL_TAKEN_OVER;
    wd->has_view = parent_lowers != NULL;
    if (wd->has_view) wd->view = parent_view;
    return SHELL_DONE;
  }
  own = shell_step_dir(ctx, run_dir, in->step.key);
  if (!own || !fresh_step_dir(ctx, own)) return SHELL_FAILED;
  wd->dir = own;
  own_name = name_in_run(run_dir, own);
  if (parent_name && shell_overlay_usable(ctx, run_dir, &wd->why_copied)) {
    lowers = shell_sibling_lowers(ctx, own_name, parent_name, parent_lowers);
    if (!lowers && hm_ok(ctx)) wd->why_copied = "its layers would not fit in the mount options";
  } else if (!parent_name) {
    wd->why_copied = "the parent's directory is not in this run's directory";
  }
  if (lowers) {
    shell_uuid_text(in->run_id, run_id);
    if (!shell_view_init(ctx, &wd->view, run_dir, own_name, lowers, 1) ||
        !shell_layers_set(ctx, hm_ctx_sprintf(ctx, "shell:%s/" HM_STR_FMT, run_id, HM_STR_ARG(in->step.key)), lowers))
      return SHELL_FAILED;
    wd->origin = SHELL_OVERLAY;
    wd->has_view = 1;
    return SHELL_DONE;
  }
  if (!hm_ok(ctx)) return SHELL_FAILED;
  wd->origin = SHELL_COPIED;
  return copy_parent(ctx, run_dir, parent_dir, parent_lowers ? &parent_view : NULL, own);
}

SHELL_PRIVATE shell_status shell_prepare_workdir(hm_ctx *ctx, const hm_executor_input *in, const char *run_dir,
                                                 shell_workdir *wd) {
  char *own;
  memset(wd, 0, sizeof *wd);
  if (!ensure_run_dir(ctx, run_dir)) return SHELL_FAILED;
  if (in->parent_snapshot.ptr) return prepare_child(ctx, in, run_dir, wd);
  own = shell_step_dir(ctx, run_dir, in->step.key);
  if (!own || !fresh_step_dir(ctx, own)) return SHELL_FAILED;
  wd->dir = own;
  wd->origin = SHELL_FROM_ARCHIVE;
  return extract_archive(ctx, in, run_dir, own);
}
