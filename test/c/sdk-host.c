/* sdk-host.c - a C host for plugins/sdk/hm_plugin.h, linked with a plugin built from the SDK.

   It plays hm's part of the ABI (a host table, an hm_call, set_result) and checks:
     1. the ABI-1 table layout against names and offsets written out here, independently of
        the header's HM_HOST_FUNCTIONS list (a reordered or inserted slot fails);
     2. each error reply of the SDK's dispatch: "not_implemented", "deserialize" (malformed and
        trailing bytes), "unknown_method", "host_incompatible", and the tables it must refuse
        without a reply (NULL, another ABI, too small, no set_result);
     3. a fuzz loop: random and mutated inputs, for every method, through the exported
        hm_plugin_call; every call must give one well-formed reply with a status that matches it.
   Built with -fsanitize=address,undefined, so an out-of-bounds read or UB in the SDK's reader,
   writer or dispatch fails the run.

   Usage: sdk-host ITERATIONS [METHOD:SEED_FILE ...]
     Seed files hold valid borsh inputs for METHOD (1 ExecutorInput, 2 HookEvent,
     3 SubcommandInput); the fuzz loop mutates them. Prints one line per failed check and a
     summary; exits 0 only if every check passed. */

#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the plugin under test: one capability per method, using the host functions ---------------- */

static int demo_execute_step(hm_ctx *ctx, const hm_executor_input *in, hm_step_result *out) {
  hm_bytes seen;
  (void)in;
  hm_kv_get(ctx, HM_KV_STEP, "hm.demo", &seen);
  hm_emit_step_log(ctx, HM_STREAM_STDOUT, "ran\n", 4);
  if (!hm_keep_going(ctx)) return hm_fail(ctx, "cancelled", "cancelled");
  out->exit_code = 0;
  return hm_ok(ctx);
}

static int demo_run_subcommand(hm_ctx *ctx, const hm_subcommand_input *in, hm_exit_info *out) {
  hm_str who = hm_cstr("world");
  hm_value_get_str(in->args, "name", &who);
  hm_logf(ctx, HM_LOG_INFO, "greeting " HM_STR_FMT, HM_STR_ARG(who));
  /* Three lines in one call (the last without its newline); the host checks how they arrive. */
  hm_emit_step_logs(ctx, HM_STREAM_STDERR, "one\ntwo\r\nthree", 14);
  out->exit_code = 0;
  out->message = hm_ctx_sprintf(ctx, "hello, " HM_STR_FMT, HM_STR_ARG(who));
  return 1;
}

static int demo_on_hook_event(hm_ctx *ctx, const hm_hook_event *in, hm_hook_outcome *out) {
  const char *kind = hm_event_kind_name(in->event.kind);
  hm_logf(ctx, HM_LOG_DEBUG, "hook %s", kind ? kind : "?");
  if (in->event.kind == HM_EVENT_STEP_LOGS) { /* walk every line, so the fuzz loop reads them all */
    hm_iter it = hm_step_logs_iter(in->event.as.step_logs.lines);
    hm_step_log_line line;
    uint32_t seen = 0;
    while (hm_step_logs_next(&it, &line)) seen += line.line.len > 0 && line.line.ptr[0] != 0;
    if (hm_step_logs_next(&it, &line)) return hm_fail(ctx, "iter", "the iterator went past the end");
    hm_logf(ctx, HM_LOG_DEBUG, "%u of %u lines not empty", seen, in->event.as.step_logs.lines.count);
  }
  out->kind = HM_HOOK_CONTINUE;
  return 1;
}

static const hm_capability demo_caps[] = {
    {.kind = HM_CAP_STEP_EXECUTOR, .as.step_executor = {.runner = "demo"}},
    {.kind = HM_CAP_SUBCOMMAND, .as.subcommand = {.verb = "greet", .about = "Say hello"}},
};
static const hm_manifest demo_manifest = {
    .name = "sdk-host-demo",
    .version = "0.1.0",
    .description = "the plugin the C test host drives",
    .capabilities = demo_caps,
    .capability_count = 2,
};
static const hm_plugin_def demo = {.manifest = &demo_manifest,
                                   .execute_step = demo_execute_step,
                                   .on_hook_event = demo_on_hook_event,
                                   .run_subcommand = demo_run_subcommand};
HM_PLUGIN(demo);

/* Reads keys the way the kv_get cache must handle them; the host counts the kv_get calls that
   reach it. Expected with a counter: step "k" read 3 times = 1 call; after a kv_set, 1 more;
   "racy" (whose read the host answers while a write lands) 2 times = 2 calls; plugin "p" 2 times
   = 2 calls; "absent" (no value) 2 times = 2 calls, as the write during each "racy" read drops
   what was kept. Total 8 (10 without a counter: every read reaches the host). */
static int kv_reads(hm_ctx *ctx, const hm_subcommand_input *in, hm_exit_info *out) {
  hm_bytes b1, b2;
  int i, same = 1;
  (void)in;
  for (i = 0; i < 3; i++) {
    if (!hm_kv_get(ctx, HM_KV_STEP, "k", &b2)) return 0;
    if (i == 0) b1 = b2;
    same = same && b2.ptr == b1.ptr && b2.len == b1.len && b1.ptr != NULL;
  }
  if (!hm_kv_set(ctx, HM_KV_STEP, "k", "v", 1) || !hm_kv_get(ctx, HM_KV_STEP, "k", &b2)) return 0;
  for (i = 0; i < 2; i++)
    if (!hm_kv_get(ctx, HM_KV_STEP, "racy", &b2) || !hm_kv_get(ctx, HM_KV_PLUGIN, "p", &b2) ||
        !hm_kv_get(ctx, HM_KV_BUILD, "absent", &b2) || b2.ptr != NULL)
      return hm_fail(ctx, "kv", "a read failed or 'absent' was present");
  out->exit_code = same ? 0 : 1;
  return 1;
}
static const hm_plugin_def kv_reader = {.manifest = &demo_manifest, .run_subcommand = kv_reads};

/* The same plugin without its hook: method 2 must answer "not_implemented". */
static const hm_plugin_def no_hook = {
    .manifest = &demo_manifest, .execute_step = demo_execute_step, .run_subcommand = demo_run_subcommand};

/* The same plugin, declaring that it cannot work without kv_set. */
static const hm_plugin_def needs_kv_set = {.manifest = &demo_manifest,
                                           .execute_step = demo_execute_step,
                                           .run_subcommand = demo_run_subcommand,
                                           .needs = HM_NEEDS_LOG | HM_NEEDS_KV_SET};

/* ---- the host ------------------------------------------------------------------------------------ */

struct hm_call {
  uint8_t *result; /* a copy of the last set_result, exactly its length (ASan sees over-reads) */
  size_t result_len;
  int results; /* how many times set_result was called */
  int step_log_calls, step_logs_calls;
  char lines[64]; /* what emit_step_log and emit_step_logs received, each call's bytes then '|' */
  int kv_get_calls;
};

/* What kv_write_count points at: bumped by every kv_set, as hm's counter is. */
static uint32_t kv_writes;

static void record_lines(hm_call *call, const uint8_t *bytes, size_t len) {
  size_t used = strlen(call->lines);
  if (used + len + 1 < sizeof call->lines) {
    memcpy(call->lines + used, bytes, len);
    call->lines[used + len] = '|';
  }
}

static int32_t host_log(hm_call *call, uint32_t level, const uint8_t *msg, size_t len) {
  (void)call;
  if (level > 4 || (len && !msg)) return 0;
  return HM_OK;
}
static int32_t host_kv_get(hm_call *call, uint32_t scope, const uint8_t *key, size_t key_len, hm_bytes *out) {
  static const uint8_t value[] = {'v'};
  if (scope > 2 || !key || !out) return 0;
  call->kv_get_calls++;
  if (key_len == 4 && memcmp(key, "racy", 4) == 0) kv_writes++; /* a write lands during this read */
  out->ptr = key_len % 2 ? value : NULL; /* present for odd-length keys, absent otherwise */
  out->len = out->ptr ? sizeof value : 0;
  return HM_OK;
}
static int32_t host_kv_set(hm_call *call, uint32_t scope, const uint8_t *key, size_t key_len, const uint8_t *value,
                           size_t value_len) {
  (void)call, (void)key_len;
  if (scope > 2 || !key || (!value && value_len)) return 0;
  kv_writes++;
  return HM_OK;
}
static int32_t host_emit_event(hm_call *call, const uint8_t *bytes, size_t len) {
  (void)call;
  return bytes || !len ? HM_OK : 0;
}
static int32_t host_emit_step_log(hm_call *call, uint32_t stream, const uint8_t *line, size_t len) {
  if (stream > 1 || (!line && len)) return 0;
  call->step_log_calls++;
  record_lines(call, line, len);
  return HM_OK;
}
static int32_t host_emit_step_logs(hm_call *call, uint32_t stream, const uint8_t *lines, size_t len) {
  if (stream > 1 || !lines || !len) return 0; /* the SDK never sends an empty batch */
  call->step_logs_calls++;
  record_lines(call, lines, len);
  return HM_OK;
}
static int32_t host_keep_going(hm_call *call) {
  (void)call;
  return HM_OK;
}
static int32_t host_write_stdout(hm_call *call, const uint8_t *bytes, size_t len) {
  return host_emit_event(call, bytes, len);
}
static int32_t host_write_stderr(hm_call *call, const uint8_t *bytes, size_t len) {
  return host_emit_event(call, bytes, len);
}
static int32_t host_archive_read(hm_call *call, const uint8_t archive_id[16], uint64_t offset, uint8_t *buf,
                                 size_t cap, size_t *out_len) {
  (void)call, (void)archive_id, (void)offset, (void)buf, (void)cap;
  *out_len = 0;
  return HM_OK;
}
static int32_t host_archive_total_size(hm_call *call, const uint8_t archive_id[16], uint64_t *out_size) {
  (void)call, (void)archive_id;
  *out_size = 0;
  return HM_OK;
}
static int32_t host_fs_read_config(hm_call *call, const uint8_t *rel_path, size_t len, hm_bytes *out) {
  (void)call, (void)rel_path, (void)len;
  out->ptr = NULL;
  out->len = 0;
  return HM_OK;
}
static int32_t host_kv_write_count(hm_call *call, const uint32_t **out) {
  (void)call;
  *out = &kv_writes;
  return HM_OK;
}
static int32_t host_set_result(hm_call *call, const uint8_t *bytes, size_t len) {
  free(call->result);
  call->result = (uint8_t *)malloc(len ? len : 1);
  if (!call->result) return 0;
  if (len) memcpy(call->result, bytes, len);
  call->result_len = len;
  call->results++;
  return HM_OK;
}

/* A full table, from the header's own list: a slot added there without a host_<name> here fails
   to compile. */
#define HOST_SLOT(index, name, NAME, parameters) host_##name,
static const hm_host_api full_table = {HM_ABI_VERSION, sizeof(hm_host_api), HM_HOST_FUNCTIONS(HOST_SLOT)};
#undef HOST_SLOT

/* ---- checks ---------------------------------------------------------------------------------------- */

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                 \
  do {                                                   \
    checks++;                                            \
    if (!(cond)) {                                       \
      failures++;                                        \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                      \
      fputc('\n', stderr);                               \
    }                                                    \
  } while (0)

typedef struct reply {
  int32_t status;
  int results;
  char code[64];     /* PluginError code, "" for a result */
  char message[256]; /* PluginError message */
  int well_formed;   /* the bytes decode as the message the status promises, with nothing left */
  int step_log_calls, step_logs_calls;
  char lines[64];
  int kv_get_calls;
} reply;

static void call_reset(hm_call *call) {
  free(call->result);
  memset(call, 0, sizeof *call);
}

/* Decodes the reply in `call` for `method` under `status`. */
static void decode_reply(const hm_call *call, uint32_t method, reply *out) {
  hm_reader r;
  hm_reader_init(&r, call->result, call->result_len);
  if (out->status == HM_CALL_OK) {
    if (method == HM_METHOD_RUN_SUBCOMMAND) {
      hm_read_i32(&r);
      hm_read_opt_str_ref(&r);
    } else if (method == HM_METHOD_EXECUTE_STEP) {
      hm_read_i32(&r);
      hm_read_opt_str_ref(&r);
      hm_read_len(&r, 1);
    } else if (method == HM_METHOD_ON_HOOK_EVENT) {
      if (hm_read_enum(&r, 2) == 1) hm_read_str_ref(&r);
    } else {
      hm_reader_flag_error(&r, HM_ERROR_INVALID); /* manifests are checked by hm's own tests */
      hm_reader_finish(&r);
      out->well_formed = method == HM_METHOD_MANIFEST && call->result_len > 0;
      return;
    }
  } else {
    hm_read_str_copy(&r, out->code, sizeof out->code);
    hm_read_str_copy(&r, out->message, sizeof out->message);
    hm_read_opt_str_ref(&r);
  }
  out->well_formed = hm_reader_finish(&r);
}

static reply dispatch(const hm_plugin_def *def, const hm_host_api *api, uint32_t method, const uint8_t *input,
                      size_t len) {
  hm_call call;
  reply out;
  uint8_t *copy = NULL;
  memset(&call, 0, sizeof call);
  memset(&out, 0, sizeof out);
  if (len) { /* an exact-size heap copy, so a read past the input is an ASan error */
    copy = (uint8_t *)malloc(len);
    if (!copy) abort();
    memcpy(copy, input, len);
  }
  out.status = def ? hm_plugin_dispatch(def, api, &call, method, copy, len) : hm_plugin_call(api, &call, method, copy, len);
  free(copy);
  out.results = call.results;
  out.step_log_calls = call.step_log_calls;
  out.step_logs_calls = call.step_logs_calls;
  out.kv_get_calls = call.kv_get_calls;
  memcpy(out.lines, call.lines, sizeof out.lines);
  if (call.results > 0) decode_reply(&call, method, &out);
  call_reset(&call);
  return out;
}

/* A valid SubcommandInput: verb_path ["greet"], args {"name": "ada"}, env {}. */
static size_t greet_input(uint8_t *buf, size_t cap) {
  hm_writer w;
  const uint8_t *bytes;
  size_t len = 0;
  hm_writer_init_fixed(&w, buf, cap);
  hm_write_len(&w, 1);
  hm_write_str(&w, "greet");
  hm_write_value_object(&w, 1);
  hm_write_value_key(&w, "name");
  hm_write_value_str(&w, "ada");
  hm_write_len(&w, 0);
  if (!hm_writer_finish(&w, &bytes, &len)) abort();
  hm_writer_destroy(&w);
  return len;
}

static void check_abi_layout(void) {
  /* ABI 1, in slot order: the contract old plugins were compiled against. */
  static const char *const abi1[] = {"log",          "kv_get",       "kv_set",           "emit_event",
                                     "emit_step_log", "keep_going",  "write_stdout",     "write_stderr",
                                     "archive_read", "archive_total_size", "fs_read_config", "set_result"};
#define SLOT_ROW(index, name, NAME, parameters) {#name, (size_t)(index), offsetof(hm_host_api, name)},
  static const struct {
    const char *name;
    size_t index;
    size_t offset;
  } slots[] = {HM_HOST_FUNCTIONS(SLOT_ROW)};
#undef SLOT_ROW
  size_t i, n = sizeof slots / sizeof slots[0];
  CHECK(offsetof(hm_host_api, abi_version) == 0 && offsetof(hm_host_api, size) == 4, "header words moved");
  CHECK(n >= 14, "the table has %lu slots, hm 0.2 has 14", (unsigned long)n);
  CHECK(n >= 14 && strcmp(slots[13].name, "kv_write_count") == 0 && slots[13].offset == 8 + 13 * sizeof(void *),
        "slot 13 is not kv_write_count at offset %lu", (unsigned long)(8 + 13 * sizeof(void *)));
  CHECK(n >= 13 && strcmp(slots[12].name, "emit_step_logs") == 0 && slots[12].offset == 8 + 12 * sizeof(void *),
        "slot 12 is not emit_step_logs at offset %lu", (unsigned long)(8 + 12 * sizeof(void *)));
  for (i = 0; i < n && i < 12; i++) {
    CHECK(strcmp(slots[i].name, abi1[i]) == 0, "slot %lu is %s, ABI 1 has %s there", (unsigned long)i, slots[i].name,
          abi1[i]);
    CHECK(slots[i].index == i && slots[i].offset == 8 + i * sizeof(void *), "slot %s at offset %lu, expected %lu",
          slots[i].name, (unsigned long)slots[i].offset, (unsigned long)(8 + i * sizeof(void *)));
  }
  CHECK(HM_HOST_API_V1_SIZE == 8 + 12 * sizeof(void *), "HM_HOST_API_V1_SIZE is %lu", (unsigned long)HM_HOST_API_V1_SIZE);
  CHECK(HM_NEEDS_LOG == 1u && HM_NEEDS_KV_SET == 4u && HM_NEEDS_FS_READ_CONFIG == 1024u, "HM_NEEDS_* bits moved");
  CHECK(HM_ABI_VERSION == 1 && HM_PLUGIN_ABI_VERSION == HM_ABI_VERSION, "ABI version %d", HM_ABI_VERSION);
  CHECK(HM_PROTOCOL_VERSION == 3 && HM_PLUGIN_API_VERSION == HM_PROTOCOL_VERSION, "protocol version %d",
        HM_PROTOCOL_VERSION);
  CHECK(HM_NEEDS_EMIT_STEP_LOGS == 1u << 12, "HM_NEEDS_EMIT_STEP_LOGS moved");
  CHECK(hm_plugin_abi_version() == HM_ABI_VERSION, "hm_plugin_abi_version() = %u", hm_plugin_abi_version());
}

static void check_error_replies(void) {
  uint8_t input[128];
  size_t len = greet_input(input, sizeof input);
  hm_host_api table;
  reply r;

  r = dispatch(&demo, &full_table, HM_METHOD_RUN_SUBCOMMAND, input, len);
  CHECK(r.status == HM_CALL_OK && r.results == 1 && r.well_formed, "greet: status %d, %d results", r.status,
        r.results);

  r = dispatch(&demo, &full_table, HM_METHOD_MANIFEST, NULL, 0);
  CHECK(r.status == HM_CALL_OK && r.results == 1 && r.well_formed, "manifest: status %d", r.status);

  r = dispatch(&no_hook, &full_table, HM_METHOD_ON_HOOK_EVENT, NULL, 0);
  CHECK(r.status == HM_CALL_NOT_IMPLEMENTED && r.well_formed && strcmp(r.code, "not_implemented") == 0,
        "no hook: status %d code '%s'", r.status, r.code);

  r = dispatch(&demo, &full_table, HM_METHOD_RUN_SUBCOMMAND, input, len - 1);
  CHECK(r.status == HM_CALL_BAD_INPUT && r.well_formed && strcmp(r.code, "deserialize") == 0 &&
            strstr(r.message, "SubcommandInput") != NULL,
        "truncated input: status %d code '%s' message '%s'", r.status, r.code, r.message);

  input[len] = 0; /* one trailing byte */
  r = dispatch(&demo, &full_table, HM_METHOD_RUN_SUBCOMMAND, input, len + 1);
  CHECK(r.status == HM_CALL_BAD_INPUT && strcmp(r.code, "deserialize") == 0 && strstr(r.message, "after") != NULL,
        "trailing byte: status %d code '%s' message '%s'", r.status, r.code, r.message);

  r = dispatch(&demo, &full_table, 4, input, len);
  CHECK(r.status == HM_CALL_UNKNOWN_METHOD && r.well_formed && strcmp(r.code, "unknown_method") == 0 &&
            strcmp(r.message, "unknown method 4") == 0,
        "method 4: status %d code '%s' message '%s'", r.status, r.code, r.message);
  r = dispatch(&demo, &full_table, 0xffffffffu, NULL, 0);
  CHECK(r.status == HM_CALL_UNKNOWN_METHOD && strcmp(r.code, "unknown_method") == 0, "method 2^32-1: status %d",
        r.status);

  table = full_table;
  table.kv_set = NULL;
  r = dispatch(&needs_kv_set, &table, HM_METHOD_RUN_SUBCOMMAND, input, len);
  CHECK(r.status == HM_CALL_PLUGIN_ERROR && r.well_formed && strcmp(r.code, "host_incompatible") == 0 &&
            strstr(r.message, "'kv_set'") != NULL,
        "kv_set NULL: status %d code '%s' message '%s'", r.status, r.code, r.message);
  r = dispatch(&demo, &table, HM_METHOD_RUN_SUBCOMMAND, input, len);
  CHECK(r.status == HM_CALL_OK, "a plugin that does not need kv_set runs without it: status %d", r.status);
  /* Needs come before decoding: an incompatible host is named even for a bad input. */
  r = dispatch(&needs_kv_set, &table, HM_METHOD_RUN_SUBCOMMAND, input, 1);
  CHECK(strcmp(r.code, "host_incompatible") == 0, "kv_set NULL, bad input: code '%s'", r.code);

  /* Tables the SDK cannot safely answer: -1 and no set_result. */
  r = dispatch(&demo, NULL, HM_METHOD_MANIFEST, NULL, 0);
  CHECK(r.status == HM_CALL_PLUGIN_ERROR && r.results == 0, "NULL table: status %d, %d results", r.status, r.results);
  table = full_table;
  table.abi_version = HM_ABI_VERSION + 1;
  r = dispatch(&demo, &table, HM_METHOD_MANIFEST, NULL, 0);
  CHECK(r.status == HM_CALL_PLUGIN_ERROR && r.results == 0, "ABI 2 table: status %d, %d results", r.status,
        r.results);
  table = full_table;
  table.size = (uint32_t)HM_HOST_API_V1_SIZE - 1;
  r = dispatch(&demo, &table, HM_METHOD_MANIFEST, NULL, 0);
  CHECK(r.status == HM_CALL_PLUGIN_ERROR && r.results == 0, "short table: status %d, %d results", r.status,
        r.results);
  table = full_table;
  table.set_result = NULL;
  r = dispatch(&demo, &table, HM_METHOD_MANIFEST, NULL, 0);
  CHECK(r.status == HM_CALL_PLUGIN_ERROR && r.results == 0, "no set_result: status %d", r.status);

  /* The ctx accessors are NULL-safe and agree with each other. */
  CHECK(hm_ok(NULL) == 0 && hm_ctx_error(NULL) == HM_ERROR_MISUSE, "hm_ctx_error(NULL) = %d", (int)hm_ctx_error(NULL));
}

/* The manifest's api_version: 2 unless a hook takes HM_HOOK_STEP_LOGS (protocol 3). */
static uint32_t manifest_protocol(const hm_hook_kind *kinds, size_t count) {
  hm_capability cap;
  hm_manifest m;
  hm_writer w;
  const uint8_t *bytes;
  size_t len;
  uint32_t version = 0;
  hm_reader r;
  memset(&cap, 0, sizeof cap);
  memset(&m, 0, sizeof m);
  cap.kind = HM_CAP_LIFECYCLE_HOOK;
  cap.as.lifecycle_hook.events = kinds;
  cap.as.lifecycle_hook.event_count = count;
  cap.as.lifecycle_hook.phase = HM_HOOK_AFTER;
  m.name = "p", m.version = "0.1.0", m.description = "", m.capabilities = &cap, m.capability_count = 1;
  hm_writer_init(&w);
  if (hm_write_manifest(&w, &m) && hm_writer_finish(&w, &bytes, &len)) {
    hm_reader_init(&r, bytes, len);
    version = hm_read_u32(&r);
  }
  hm_writer_destroy(&w);
  return version;
}

static void check_step_logs(void) {
  static const hm_hook_kind old_kinds[] = {HM_HOOK_STEP_LOG, HM_HOOK_STEP_END};
  static const hm_hook_kind new_kinds[] = {HM_HOOK_STEP_END, HM_HOOK_STEP_LOGS};
  uint8_t input[128];
  size_t len = greet_input(input, sizeof input);
  hm_host_api table;
  reply r;

  CHECK(manifest_protocol(old_kinds, 2) == 2, "a step_log hook's manifest says protocol %u", manifest_protocol(old_kinds, 2));
  CHECK(manifest_protocol(new_kinds, 2) == 3, "a step_logs hook's manifest says protocol %u", manifest_protocol(new_kinds, 2));
  CHECK(hm_hook_kind_of(HM_EVENT_STEP_LOGS) == HM_HOOK_STEP_LOGS && strcmp(hm_hook_kind_name(HM_HOOK_STEP_LOGS), "step_logs") == 0 &&
            strcmp(hm_event_kind_name(HM_EVENT_STEP_LOGS), "step_logs") == 0 && hm_event_kind_name((hm_event_kind)9) == NULL,
        "step_logs names");

  /* A host with the slot: one call carrying the three lines as they were given. */
  r = dispatch(&demo, &full_table, HM_METHOD_RUN_SUBCOMMAND, input, len);
  CHECK(r.status == HM_CALL_OK && r.step_logs_calls == 1 && r.step_log_calls == 0 &&
            strcmp(r.lines, "one\ntwo\r\nthree|") == 0,
        "emit_step_logs: status %d, %d batch calls, %d line calls, saw '%s'", r.status, r.step_logs_calls,
        r.step_log_calls, r.lines);
  /* An older hm (the slot NULL, or a 12-slot table): one emit_step_log per line, newline kept. */
  table = full_table;
  table.emit_step_logs = NULL;
  r = dispatch(&demo, &table, HM_METHOD_RUN_SUBCOMMAND, input, len);
  CHECK(r.status == HM_CALL_OK && r.step_logs_calls == 0 && r.step_log_calls == 3 &&
            strcmp(r.lines, "one\n|two\r\n|three|") == 0,
        "emit_step_logs NULL: status %d, %d line calls, saw '%s'", r.status, r.step_log_calls, r.lines);
  table = full_table;
  table.size = (uint32_t)HM_HOST_API_V1_SIZE;
  r = dispatch(&demo, &table, HM_METHOD_RUN_SUBCOMMAND, input, len);
  CHECK(r.status == HM_CALL_OK && r.step_logs_calls == 0 && r.step_log_calls == 3 &&
            strcmp(r.lines, "one\n|two\r\n|three|") == 0,
        "ABI-1 table: status %d, %d batch calls, %d line calls, saw '%s'", r.status, r.step_logs_calls,
        r.step_log_calls, r.lines);
}

static void check_kv_cache(void) {
  uint8_t input[128];
  size_t len = greet_input(input, sizeof input);
  hm_host_api table;
  reply r;
  r = dispatch(&kv_reader, &full_table, HM_METHOD_RUN_SUBCOMMAND, input, len);
  CHECK(r.status == HM_CALL_OK && r.kv_get_calls == 8, "kv cache: status %d '%s', %d host reads (expected 8)",
        r.status, r.message, r.kv_get_calls);
  table = full_table;
  table.kv_write_count = NULL;
  r = dispatch(&kv_reader, &table, HM_METHOD_RUN_SUBCOMMAND, input, len);
  CHECK(r.status == HM_CALL_OK && r.kv_get_calls == 10, "no kv_write_count: status %d, %d host reads (expected 10)",
        r.status, r.kv_get_calls);
  table = full_table;
  table.size = (uint32_t)HM_HOST_API_V1_SIZE;
  r = dispatch(&kv_reader, &table, HM_METHOD_RUN_SUBCOMMAND, input, len);
  CHECK(r.status == HM_CALL_OK && r.kv_get_calls == 10, "ABI-1 table: status %d, %d host reads (expected 10)",
        r.status, r.kv_get_calls);
}

/* ---- fuzz loop --------------------------------------------------------------------------------------- */

typedef struct seed {
  uint32_t method;
  uint8_t *bytes;
  size_t len;
} seed;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rng(void) { /* xorshift64*: deterministic, so a failure reproduces */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* One mutation of `in` into `out` (capacity cap); returns the new length. */
static size_t mutate(const uint8_t *in, size_t len, uint8_t *out, size_t cap) {
  size_t n = len < cap ? len : cap, i, at;
  memcpy(out, in, n);
  switch (rng() % 6) {
    case 0: /* flip bits */
      for (i = 0; n && i < 1 + rng() % 4; i++) out[rng() % n] ^= (uint8_t)(1u << (rng() % 8));
      break;
    case 1: /* truncate */
      n = n ? rng() % n : 0;
      break;
    case 2: /* a huge or off-by-one u32 (lengths, tags) somewhere */
      if (n >= 4) {
        static const uint32_t edges[] = {0xffffffffu, 0x7fffffffu, 0x80000000u, 0x10000u, 1u, 0u};
        uint32_t v = rng() % 2 ? edges[rng() % 6] : rng();
        at = rng() % (n - 3);
        out[at] = (uint8_t)v, out[at + 1] = (uint8_t)(v >> 8), out[at + 2] = (uint8_t)(v >> 16),
        out[at + 3] = (uint8_t)(v >> 24);
      }
      break;
    case 3: /* insert random bytes */
      at = n ? rng() % (n + 1) : 0;
      for (i = 0; i < 1 + rng() % 8 && n < cap; i++) {
        memmove(out + at + 1, out + at, n - at);
        out[at] = (uint8_t)rng();
        n++;
      }
      break;
    case 4: /* delete a run */
      if (n) {
        size_t k;
        at = rng() % n;
        k = 1 + rng() % (n - at);
        memmove(out + at, out + at + k, n - at - k);
        n -= k;
      }
      break;
    default: /* set a byte to an interesting value */
      if (n) out[rng() % n] = (uint8_t)(rng() % 2 ? 0xff : rng() % 4);
      break;
  }
  return n;
}

static void fuzz(unsigned long iterations, const seed *seeds, size_t seed_count) {
  uint8_t buf[1 << 14];
  unsigned long i;
  for (i = 0; i < iterations; i++) {
    uint32_t method;
    size_t len;
    reply r;
    uint32_t pick = rng() % 10;
    if (pick < 7 && seed_count > 0) { /* mostly: a mutated valid input, sometimes mutated twice */
      const seed *s = &seeds[rng() % seed_count];
      method = rng() % 8 ? s->method : rng() % 6;
      len = mutate(s->bytes, s->len, buf, sizeof buf);
      if (rng() % 3 == 0) {
        uint8_t again[sizeof buf];
        len = mutate(buf, len, again, sizeof again);
        memcpy(buf, again, len);
      }
    } else { /* random bytes, any method */
      size_t k;
      method = pick == 9 ? rng() : rng() % 5;
      len = rng() % 96;
      for (k = 0; k < len; k++) buf[k] = (uint8_t)rng();
    }
    r = dispatch(NULL, &full_table, method, buf, len);
    if (!(r.results == 1 && r.well_formed)) {
      CHECK(0, "fuzz %lu (method %lu, %lu bytes): status %d, %d results, reply %s", i, (unsigned long)method,
            (unsigned long)len, r.status, r.results, r.well_formed ? "ok" : "malformed");
      continue;
    }
    switch (r.status) {
      case HM_CALL_OK: break;
      case HM_CALL_BAD_INPUT: CHECK(strcmp(r.code, "deserialize") == 0, "fuzz %lu: -3 with '%s'", i, r.code); break;
      case HM_CALL_NOT_IMPLEMENTED: CHECK(0, "fuzz %lu: not_implemented for method %lu", i, (unsigned long)method); break;
      case HM_CALL_UNKNOWN_METHOD: CHECK(method > 3, "fuzz %lu: unknown_method for method %lu", i, (unsigned long)method); break;
      case HM_CALL_PLUGIN_ERROR: CHECK(r.code[0] != '\0', "fuzz %lu: -1 without a code", i); break;
      default: CHECK(0, "fuzz %lu: status %d", i, r.status);
    }
    if (method <= 3 && r.status == HM_CALL_UNKNOWN_METHOD) CHECK(0, "fuzz %lu: method %lu unknown", i, (unsigned long)method);
  }
}

static int read_seed(const char *arg, seed *out) {
  const char *colon = strchr(arg, ':');
  FILE *f;
  long size;
  if (!colon || colon == arg) return 0;
  out->method = (uint32_t)strtoul(arg, NULL, 10);
  f = fopen(colon + 1, "rb");
  if (!f) return 0;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return 0;
  }
  out->len = (size_t)size;
  out->bytes = (uint8_t *)malloc(out->len ? out->len : 1);
  if (!out->bytes || fread(out->bytes, 1, out->len, f) != out->len) {
    fclose(f);
    return 0;
  }
  fclose(f);
  return 1;
}

int main(int argc, char **argv) {
  unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
  seed seeds[64];
  size_t seed_count = 0;
  int i, accepted = 0;
  uint8_t greet[128];

  for (i = 2; i < argc && seed_count < 63; i++) {
    if (!read_seed(argv[i], &seeds[seed_count])) {
      fprintf(stderr, "sdk-host: cannot read seed '%s' (expected METHOD:FILE)\n", argv[i]);
      return 2;
    }
    seed_count++;
  }
  seeds[seed_count].method = HM_METHOD_RUN_SUBCOMMAND;
  seeds[seed_count].len = greet_input(greet, sizeof greet);
  seeds[seed_count].bytes = (uint8_t *)malloc(seeds[seed_count].len);
  if (!seeds[seed_count].bytes) return 2;
  memcpy(seeds[seed_count].bytes, greet, seeds[seed_count].len);
  seed_count++;

  check_abi_layout();
  check_error_replies();
  check_step_logs();
  check_kv_cache();
  /* Every seed must be accepted as it is, or the loop only fuzzes the decoder's first bytes. */
  for (i = 0; (size_t)i < seed_count; i++) {
    reply r = dispatch(NULL, &full_table, seeds[i].method, seeds[i].bytes, seeds[i].len);
    CHECK(r.status == HM_CALL_OK, "seed %d (method %lu) answered %d '%s: %s'", i, (unsigned long)seeds[i].method,
          r.status, r.code, r.message);
    accepted += r.status == HM_CALL_OK;
  }
  fuzz(iterations, seeds, seed_count);

  for (i = 0; (size_t)i < seed_count; i++) free(seeds[i].bytes);
  printf("sdk-host: %d checks, %d failed; %lu fuzz inputs from %d seeds (%d accepted)\n", checks, failures,
         iterations, (int)seed_count, accepted);
  return failures == 0 ? 0 : 1;
}
