/* handover.c - a step's directory passes to its only builds_in child (see shell.h, "handover.c").

   hm tells each step the keys of its builds_in children (step-scope KV "hm.builds_in_children",
   borsh Vec<string>; docs/plugin-abi.md §5). A step that passes with exactly one child records,
   in build-scope KV, that this child may take its directory over: "shell:handover:<child key>" =
   the step's snapshot. The child runs in that directory only when the record names its own
   parent_snapshot; otherwise (siblings, or a host that does not say) it copies, which is always
   safe. Nothing else reads a directory once its only child has started: hm starts children only
   after their parent passed, and a shell snapshot is never a cache entry. */
#define _XOPEN_SOURCE 700
#include <string.h>

#include "shell.h"

#define CHILDREN_KEY "hm.builds_in_children" /* step-scope, set by hm */
#define HANDOVER_PREFIX "shell:handover:"     /* build-scope, ours */

/* The record's key for a child. Step keys are UTF-8 without NUL in practice; one with a NUL is
   cut there, and its record then cannot match another parent's snapshot by accident. */
static char *handover_key(hm_ctx *ctx, hm_str child) {
  return hm_ctx_sprintf(ctx, HANDOVER_PREFIX HM_STR_FMT, HM_STR_ARG(child));
}

SHELL_PRIVATE int shell_hand_over(hm_ctx *ctx, const char *snapshot) {
  hm_bytes stored;
  hm_reader r;
  hm_str_list children;
  hm_iter it;
  hm_str only;
  char *key;
  if (!hm_kv_get(ctx, HM_KV_STEP, CHILDREN_KEY, &stored)) return 0;
  if (!stored.ptr) return 1; /* the host does not say: every child copies */
  hm_reader_init(&r, stored.ptr, stored.len);
  children = hm_read_str_list(&r);
  if (!hm_reader_finish(&r)) {
    hm_logf(ctx, HM_LOG_WARN, "ignoring the host's '" CHILDREN_KEY "' entry: %s",
            hm_error_string(hm_reader_error(&r)));
    return 1;
  }
  if (children.count != 1) return 1; /* none, or siblings: each copies */
  it = hm_str_list_iter(children);
  if (!hm_str_list_next(&it, &only)) return 1;
  key = handover_key(ctx, only);
  return key && hm_kv_set(ctx, HM_KV_BUILD, key, snapshot, strlen(snapshot));
}

SHELL_PRIVATE int shell_handed_over(hm_ctx *ctx, const hm_executor_input *in, int *yes) {
  hm_bytes stored;
  char *key = handover_key(ctx, in->step.key);
  *yes = 0;
  if (!key || !hm_kv_get(ctx, HM_KV_BUILD, key, &stored)) return 0;
  *yes = stored.ptr != NULL && stored.len == in->parent_snapshot.len &&
         memcmp(stored.ptr, in->parent_snapshot.ptr, stored.len) == 0;
  return 1;
}
