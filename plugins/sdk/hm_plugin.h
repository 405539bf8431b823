/* hm_plugin.h - v1.3.0 - native plugin SDK for hm (plugin ABI 1, wire protocols 2 and 3)
   Single-file C99 library, no dependencies beyond libc. MIT licensed (see the end of the file).

   Do this:
      #define HM_PLUGIN_IMPLEMENTATION
   before you include this file in *one* C file of your plugin, to create the implementation
   (and the exported `hm_plugin_abi_version`). Every other file just includes it.

   QUICK START - a complete plugin (hello.c) that adds the command `hm hello [--name N]`:

      #define HM_PLUGIN_IMPLEMENTATION
      #include "hm_plugin.h"

      static int hello_run(hm_ctx *ctx, const hm_subcommand_input *in, hm_exit_info *out) {
          hm_str who = hm_cstr("world");
          hm_value_get_str(in->args, "name", &who);            // absent: keeps "world"
          hm_logf(ctx, HM_LOG_INFO, "greeting " HM_STR_FMT, HM_STR_ARG(who));
          out->exit_code = 0;
          out->message = hm_ctx_sprintf(ctx, "hello, " HM_STR_FMT, HM_STR_ARG(who));
          return 1;                                            // 0 = failed; see hm_fail()
      }

      static const hm_arg_spec hello_args[] = {
          { .kind = HM_ARG_OPTION, .name = "name", .short_name = 'n', .help = "who to greet" },
      };
      static const hm_capability hello_caps[] = {
          { .kind = HM_CAP_SUBCOMMAND, .as.subcommand = { .verb = "hello", .about = "Say hello",
                                                           .args = hello_args, .arg_count = 1 } },
      };
      static const hm_manifest hello_manifest = {
          .name = "hello", .version = "0.1.0", .description = "Greets people",
          .capabilities = hello_caps, .capability_count = 1,
      };
      static const hm_plugin_def hello = { .manifest = &hello_manifest, .run_subcommand = hello_run };
      HM_PLUGIN(hello);

   Build and install:   cc -shared -fPIC -o hello.so hello.c && hm plugin install ./hello.so

   COMPILE-TIME OPTIONS
      Set globally (before every include, or with -D):
        HM_PLUGIN_STATIC           make every SDK function static (single-file plugins)
        HM_DEF                     linkage of SDK functions (default: extern, hidden visibility)
        HM_PLUGIN_NO_THREAD_LOCAL  leave out hm_ctx_current() (no thread-local storage); helpers
                                   then know the call's thread by pthread_self() (POSIX), or
                                   cannot tell threads apart (elsewhere)
      Only in the IMPLEMENTATION file:
        HM_PLUGIN_MALLOC(size), HM_PLUGIN_REALLOC(ptr, size), HM_PLUGIN_FREE(ptr)
                                   allocator; define all three or none (default: libc)
        HM_PLUGIN_ASSERT(x)        assertion for SDK misuse that cannot be reported (default: assert)
        HM_PLUGIN_VALUE_MAX_DEPTH  deepest Value nesting read or written (default 64)
        HM_PLUGIN_NO_KV_CACHE      hm_kv_get always asks hm (no per-call read cache)

   DOCUMENTATION
      Sections of this file, in order (search for "=== "):
        === Versions            === Host table (the ABI)     === Threading rules
        === Status codes        === Strings and bytes        === Context helpers
        === Borsh reader        === Borsh writer             === Value
        === Messages            === Plugin descriptor
      Every function has a block of fixed shape: what it does, OBJECT it acts on, THREAD class,
      RETURNS (what 1 and 0 mean, the state of out-parameters on failure), OWNERSHIP of pointers.
      The ABI reference is docs/plugin-abi.md; the author's guide is docs/writing-plugins.md.

   REVISION HISTORY
      1.0.0  first release: plugin ABI 1, wire protocol (api_version) 2, host table of 12 slots.
      1.1.0  ctx helpers refuse a call from a thread other than the call's (HM_ERROR_WRONG_THREAD,
             PluginError code "wrong_thread") instead of calling into hm, where it would hang.
      1.2.0  HM_ABI_VERSION and HM_PROTOCOL_VERSION name what they version (the old
             HM_PLUGIN_ABI_VERSION and HM_PLUGIN_API_VERSION remain as aliases); the host table,
             its offset checks, the HM_NEEDS_* bits and the needs check come from one list,
             HM_HOST_FUNCTIONS (adds HM_NEEDS_SET_RESULT); hm_ctx_error(NULL) is
             HM_ERROR_MISUSE instead of a crash. Same ABI: plugins built with 1.x keep working.
      1.3.0  host slot 12 emit_step_logs (many lines per call; hm_emit_step_logs falls back to
             emit_step_log on an older hm); host slot 13 kv_write_count, with which hm_kv_get
             answers repeated build- and step-scope reads of a call from memory until any KV
             write happens in hm (define HM_PLUGIN_NO_KV_CACHE to always ask hm); wire protocol 3: hook kind HM_HOOK_STEP_LOGS, whose
             event HM_EVENT_STEP_LOGS carries many step_log lines in one on_hook_event call
             (iterate them with hm_step_logs_next). A manifest now says the lowest protocol that
             covers it (3 only when a hook takes HM_HOOK_STEP_LOGS), so a plugin that does not
             use it still loads in an hm that speaks only protocol 2.
*/

#ifndef HM_PLUGIN_H
#define HM_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* =================================================================================================
   === Versions

   Three numbers, one job each:
     HM_PLUGIN_VERSION_*  identify this header (what helpers exist).
     HM_ABI_VERSION       the C calling convention: the two exported symbols, the layout of
                          hm_host_api, the method numbers. Changes only on a breaking change.
                          The implementation section defines hm_plugin_abi_version() to return it,
                          and hm_host_api.abi_version carries the host's.
     HM_PROTOCOL_VERSION  the newest borsh wire protocol this header speaks (the messages'
                          layouts). The manifest's api_version carries the lowest protocol that
                          covers what the manifest declares (2, or 3 for a HM_HOOK_STEP_LOGS
                          hook); hm accepts 2..=its own.
   Additions to the host table need no version bump: hm_host_api.size says which slots exist. */

#define HM_PLUGIN_VERSION_MAJOR 1
#define HM_PLUGIN_VERSION_MINOR 3
#define HM_PLUGIN_VERSION_PATCH 0
#define HM_PLUGIN_VERSION_STRING "1.3.0"
#define HM_PLUGIN_VERSION_NUMBER \
  (HM_PLUGIN_VERSION_MAJOR * 1000000 + HM_PLUGIN_VERSION_MINOR * 1000 + HM_PLUGIN_VERSION_PATCH)
#define HM_PLUGIN_VERSION_AT_LEAST(major, minor, patch) \
  (HM_PLUGIN_VERSION_NUMBER >= (major) * 1000000 + (minor) * 1000 + (patch))

#define HM_ABI_VERSION 1      /* C calling convention; hm accepts 1..=1 */
#define HM_PROTOCOL_VERSION 3 /* newest borsh wire protocol spoken; see hm_write_manifest */

/* The names before 1.2.0, which differed by one letter: still defined, so old plugins compile. */
#define HM_PLUGIN_ABI_VERSION HM_ABI_VERSION
#define HM_PLUGIN_API_VERSION HM_PROTOCOL_VERSION

/* Linkage. HM_EXPORT goes on the two entry points only; every SDK function is HM_DEF, which
   keeps it out of the library's dynamic symbol table. */
#if defined(_WIN32) || defined(__CYGWIN__)
#define HM_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define HM_EXPORT __attribute__((visibility("default")))
#else
#define HM_EXPORT
#endif

#if defined(__GNUC__)
#define HM__UNUSED __attribute__((unused))
#define HM_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define HM__UNUSED
#define HM_PRINTF(fmt_index, first_arg)
#endif

#ifndef HM_DEF
#if defined(HM_PLUGIN_STATIC)
#define HM_DEF static HM__UNUSED
#elif defined(__GNUC__) && !defined(_WIN32) && !defined(__CYGWIN__)
#define HM_DEF extern __attribute__((visibility("hidden")))
#else
#define HM_DEF extern
#endif
#endif

#ifndef HM_PLUGIN_NO_THREAD_LOCAL
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_THREADS__)
#define HM__THREAD_LOCAL _Thread_local
#elif defined(__GNUC__)
#define HM__THREAD_LOCAL __thread
#elif defined(_MSC_VER)
#define HM__THREAD_LOCAL __declspec(thread)
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* =================================================================================================
   === Host table (the ABI)

   hm passes one hm_host_api to every hm_plugin_call. Its functions are the plugin's only way to
   talk to hm. Every one returns int32_t: positive (HM_OK) = success, 0 = the host is gone or the
   host function failed. After a 0, stop and return from hm_plugin_call: the SDK helpers below
   turn a 0 into a sticky error on the hm_ctx and report it for you.

   WARNING: slots are append-only. Add new functions at the END of HM_HOST_FUNCTIONS only, each
   tagged with the host version that added it; never reorder, remove or retype a slot (a changed
   signature is a new `_v2` slot). The offset asserts below break the build of anything that
   violates this.
   Check a slot with HM_HAS(api, slot) before calling it directly. */

#define HM_OK 1 /* host functions: positive = success; 0 = host gone or failed */

/* One plugin call, owned by the host. Valid only on the thread that entered hm_plugin_call, and
   only until that call returns. Never store it in a global: pass the hm_ctx instead. */
typedef struct hm_call hm_call;

/* Bytes the host lends to the plugin (kv_get, fs_read_config). ptr NULL = absent. */
typedef struct hm_bytes {
  const uint8_t *ptr;
  size_t len;
} hm_bytes;

/* HM_HOST_FUNCTIONS(X) - the host functions, one line each, in slot order:
     X(index, name, NAME, parameters)
   index is the slot's number (its byte offset is HM_HOST_API_SLOT_OFFSET(index)), name the
   hm_host_api member, NAME the HM_NEEDS_<NAME> bit (1 << index), parameters the function's
   parameter list; every host function returns int32_t. The struct, its offset checks, the
   HM_NEEDS_* bits and the SDK's needs check are all generated from this one list, so a slot is
   added in one place: a new line at the END, with the next index and a comment naming the hm
   version that added it. A host written in C may expand it too (stub tables, name tables). */
#define HM_HOST_FUNCTIONS(X)                                                                                 \
  /* ---- ABI 1 (hm 0.1) ---- */                                                                             \
  X(0, log, LOG, (hm_call *call, uint32_t level, const uint8_t *msg, size_t len))                            \
  X(1, kv_get, KV_GET, (hm_call *call, uint32_t scope, const uint8_t *key, size_t key_len, hm_bytes *out))   \
  X(2, kv_set, KV_SET,                                                                                       \
    (hm_call *call, uint32_t scope, const uint8_t *key, size_t key_len, const uint8_t *value,                \
     size_t value_len))                                                                                      \
  X(3, emit_event, EMIT_EVENT, (hm_call *call, const uint8_t *build_event_borsh, size_t len))                \
  X(4, emit_step_log, EMIT_STEP_LOG, (hm_call *call, uint32_t stream, const uint8_t *line, size_t len))      \
  X(5, keep_going, KEEP_GOING, (hm_call *call))                                                              \
  X(6, write_stdout, WRITE_STDOUT, (hm_call *call, const uint8_t *bytes, size_t len))                        \
  X(7, write_stderr, WRITE_STDERR, (hm_call *call, const uint8_t *bytes, size_t len))                        \
  X(8, archive_read, ARCHIVE_READ,                                                                           \
    (hm_call *call, const uint8_t archive_id[16], uint64_t offset, uint8_t *buf, size_t cap,                 \
     size_t *out_len))                                                                                       \
  X(9, archive_total_size, ARCHIVE_TOTAL_SIZE,                                                               \
    (hm_call *call, const uint8_t archive_id[16], uint64_t *out_size))                                       \
  X(10, fs_read_config, FS_READ_CONFIG, (hm_call *call, const uint8_t *rel_path, size_t len, hm_bytes *out)) \
  X(11, set_result, SET_RESULT, (hm_call *call, const uint8_t *bytes, size_t len))                          \
  /* ---- hm 0.2 (SDK 1.3.0) ---- */                                                                        \
  X(12, emit_step_logs, EMIT_STEP_LOGS, (hm_call *call, uint32_t stream, const uint8_t *lines, size_t len))   \
  X(13, kv_write_count, KV_WRITE_COUNT, (hm_call *call, const uint32_t **out))

typedef struct hm_host_api {
  uint32_t abi_version; /* = HM_ABI_VERSION */
  uint32_t size;        /* sizeof(hm_host_api) as the host built it */
#define HM__HOST_SLOT_MEMBER(index, name, NAME, parameters) int32_t(*name) parameters;
  HM_HOST_FUNCTIONS(HM__HOST_SLOT_MEMBER)
#undef HM__HOST_SLOT_MEMBER
} hm_host_api;

/* Byte offset of slot number `index` (0 = log ... 11 = set_result): 8 + index * pointer size.
   On 64-bit targets: log 8, kv_get 16, ..., set_result 96; the ABI-1 table is 104 bytes. */
#define HM_HOST_API_SLOT_OFFSET(index) ((size_t)8 + (size_t)(index) * sizeof(void (*)(void)))
#define HM_HOST_API_V1_SIZE HM_HOST_API_SLOT_OFFSET(12) /* smallest table the SDK accepts */

/* True when the host's table covers `slot` (its size reaches past the pointer) AND the pointer is
   not NULL. Never touches a slot the table does not cover. */
#define HM_HAS(api, slot)                                                                     \
  ((api) != NULL && (size_t)(api)->size >= offsetof(hm_host_api, slot) + sizeof((api)->slot) && \
   (api)->slot != NULL)

/* Compile-time layout checks (C99: an array type of negative size fails to compile). Each slot
   sits at the offset its index in HM_HOST_FUNCTIONS says, so a line inserted in the middle (or a
   renumbered one) breaks the build; the table has no padding and ends after its last slot. */
#define HM__STATIC_ASSERT(cond, name) typedef char hm__static_assert_##name[(cond) ? 1 : -1]
#define HM__HOST_SLOT_ASSERT(index, name, NAME, parameters) \
  HM__STATIC_ASSERT(offsetof(hm_host_api, name) == HM_HOST_API_SLOT_OFFSET(index), slot_##name);
#define HM__HOST_SLOT_COUNT(index, name, NAME, parameters) +1
HM__STATIC_ASSERT(offsetof(hm_host_api, abi_version) == 0, abi_version);
HM__STATIC_ASSERT(offsetof(hm_host_api, size) == 4, size);
HM_HOST_FUNCTIONS(HM__HOST_SLOT_ASSERT)
HM__STATIC_ASSERT(sizeof(hm_host_api) == HM_HOST_API_SLOT_OFFSET(0 HM_HOST_FUNCTIONS(HM__HOST_SLOT_COUNT)),
                  table_ends_after_last_slot);
HM__STATIC_ASSERT(sizeof(hm_host_api) >= HM_HOST_API_V1_SIZE, v1_table_is_a_prefix);
HM__STATIC_ASSERT(offsetof(hm_host_api, set_result) == HM_HOST_API_V1_SIZE - sizeof(void (*)(void)),
                  v1_table_ends_at_set_result);
#undef HM__HOST_SLOT_ASSERT
#undef HM__HOST_SLOT_COUNT
HM__STATIC_ASSERT(sizeof(void *) == sizeof(void (*)(void)), function_pointer_size);
/* The host fills hm_bytes as two pointer-sized words {ptr, len}. */
HM__STATIC_ASSERT(offsetof(hm_bytes, len) == sizeof(void *) && sizeof(size_t) == sizeof(void *), bytes_layout);

/* The two exported symbols. hm_plugin_abi_version is defined by the implementation section;
   hm_plugin_call by HM_PLUGIN(def).

   hm_plugin_abi_version - the C ABI this library was built for (HM_ABI_VERSION).
     THREAD: any; may be called before anything else, without a host table.

   hm_plugin_call - run one method.
     THREAD: any thread; may run concurrently on several threads with different calls.
     api    read-only, valid for this call on this thread only: each host thread has its own
            table (its functions run on that thread). Never store it. The SDK never does.
     call   valid only on this thread until this function returns.
     input  borrowed until this function returns; borsh of the method's input message.
     RETURNS HM_OK after set_result(result), or a negative HM_CALL_* code after
             set_result(borsh PluginError). */
HM_EXPORT uint32_t hm_plugin_abi_version(void);
HM_EXPORT int32_t hm_plugin_call(const hm_host_api *api, hm_call *call, uint32_t method, const uint8_t *input,
                                 size_t input_len);

typedef enum hm_method {
  HM_METHOD_MANIFEST = 0,       /* input empty           -> PluginManifest */
  HM_METHOD_EXECUTE_STEP = 1,   /* ExecutorInput         -> StepResult     */
  HM_METHOD_ON_HOOK_EVENT = 2,  /* HookEvent             -> HookOutcome    */
  HM_METHOD_RUN_SUBCOMMAND = 3  /* SubcommandInput       -> ExitInfo       */
} hm_method;

typedef enum hm_call_status {
  HM_CALL_OK = HM_OK,              /* result set */
  HM_CALL_PLUGIN_ERROR = -1,       /* PluginError set by the plugin (or the SDK on its behalf) */
  HM_CALL_NOT_IMPLEMENTED = -2,    /* PluginError code "not_implemented" */
  HM_CALL_BAD_INPUT = -3,          /* PluginError code "deserialize", message = reader error */
  HM_CALL_UNKNOWN_METHOD = -4      /* PluginError code "unknown_method" */
} hm_call_status;

/* =================================================================================================
   === Threading rules

   hm runs each plugin call on a worker thread. What the host guarantees and what it asks:
   - Each host thread passes its own read-only hm_host_api table; a table is valid only for the
     call it was passed to, on that thread. Never keep the pointer for later or another thread.
   - hm_plugin_call may run at the same time on several threads, each with its own hm_call.
   - Host functions may be called only on the thread that entered hm_plugin_call, before it
     returns. An hm_call (and the hm_ctx wrapping it) is valid only there and only then.
     Starting your own threads is fine; they must not call host functions: hm's host functions
     are bound to the thread that runs the call, and one called from another thread blocks that
     thread forever (no error, no return). The ctx helpers below record the call's thread when
     the call starts and refuse a call from any other thread: they return 0 (NULL for
     hm_ctx_alloc) without calling hm, and leave the sticky ctx error HM_ERROR_WRONG_THREAD,
     which the call reports as PluginError "wrong_thread" ("hm_log called from a thread that is
     not the call's thread ..."). The call's thread sees that error once it has synchronized
     with the other thread (pthread_join, a mutex). The raw table (hm_ctx_api) has no such check.
     A ctx must still not be used after its call returned, from any thread.
   - Lifecycle hooks of one plugin are serialized (never two on_hook_event at once for one plugin);
     step executors may run in parallel; subcommands run one at a time.
   - A plugin's globals are shared by every thread of the process and every hm worker: keep them
     immutable, or protect them. This SDK keeps no mutable globals (only a thread-local pointer).

   Thread classes used in the function blocks below:
     THREAD: any   reentrant; touches only its arguments (a reader or writer object must not be
                   used from two threads at once).
     THREAD: call  only on the thread running the hm_plugin_call that owns the ctx, before it
                   returns. */

/* =================================================================================================
   === Status codes

   SDK functions return 1 on success and 0 on failure; the reason is an hm_error kept in the object
   (reader, writer, ctx): never in a global, never in errno. Errors are sticky: the first one is
   kept and every later operation on that object does nothing and fails. */

typedef enum hm_error {
  HM_ERROR_NONE = 0,
  HM_ERROR_TRUNCATED,    /* input ended early, or a length is larger than the bytes left */
  HM_ERROR_INVALID,      /* bad tag, bool > 1, enum variant, char, or NaN float */
  HM_ERROR_UTF8,         /* string is not valid UTF-8 */
  HM_ERROR_TOO_BIG,      /* over a _max limit, a fixed buffer, or the u32 range of borsh */
  HM_ERROR_TRAILING,     /* bytes left after the message (borsh must consume everything) */
  HM_ERROR_DEPTH,        /* Value nested deeper than HM_PLUGIN_VALUE_MAX_DEPTH */
  HM_ERROR_UNSORTED,     /* writer: object keys not in strictly increasing byte order */
  HM_ERROR_JSON,         /* hm_write_value_json: not valid JSON (or a duplicate key) */
  HM_ERROR_NOMEM,        /* out of memory */
  HM_ERROR_MISUSE,       /* SDK misuse: NULL required string, Value items not as declared */
  HM_ERROR_HOST_GONE,    /* a host function returned 0: host gone or failed */
  HM_ERROR_HOST_MISSING, /* the host's table lacks a function (HM_HAS false) */
  HM_ERROR_PLUGIN,       /* the plugin reported a failure with hm_fail() */
  HM_ERROR_WRONG_THREAD  /* a ctx helper called from a thread other than the call's (1.1.0) */
} hm_error;

/* hm_error_string - a short English description of `code` ("input ended early ...").
   THREAD: any. RETURNS a static string; "unknown error" for values outside the enum. */
HM_DEF const char *hm_error_string(hm_error code);

/* =================================================================================================
   === Strings and bytes

   What you READ (decoded messages, host replies) is hm_str: a borrowed, length-delimited slice that
   is NOT NUL-terminated; ptr NULL means "absent" (Option::None). What you WRITE into results is a
   plain NUL-terminated `const char *`, NULL meaning "absent". Print an hm_str with
   printf(HM_STR_FMT, HM_STR_ARG(s)) (HM_STR_ARG evaluates s more than once). */

typedef struct hm_str {
  const char *ptr;
  size_t len;
} hm_str;

#define HM_STR_FMT "%.*s"
#define HM_STR_ARG(s) (int)((s).len > 0x7fffffff ? 0x7fffffff : (s).len), ((s).ptr ? (s).ptr : "")

/* hm_cstr - wrap a NUL-terminated string (NULL gives an absent hm_str). THREAD: any.
   OWNERSHIP: the result borrows s. */
HM_DEF hm_str hm_cstr(const char *s);
/* hm_bytes_str - view host bytes as an hm_str (no copy, no UTF-8 check). THREAD: any. */
HM_DEF hm_str hm_bytes_str(hm_bytes b);
/* hm_str_eq - 1 when s is present and has exactly the bytes of the C string. THREAD: any. */
HM_DEF int hm_str_eq(hm_str s, const char *cstr);
/* hm_str_starts_with - 1 when s is present and begins with prefix. THREAD: any. */
HM_DEF int hm_str_starts_with(hm_str s, const char *prefix);
/* hm_str_parse_i64 - parse all of s as a decimal integer ([+-]digits, no spaces).
   THREAD: any. RETURNS 1 and sets *out; 0 (not a number, empty, overflow) and leaves *out. */
HM_DEF int hm_str_parse_i64(hm_str s, int64_t *out);

/* =================================================================================================
   === Context helpers

   An hm_ctx is the SDK's handle on one plugin call: the host table, the hm_call, the raw input, a
   per-call arena, and a sticky error. The SDK creates it on the stack of hm_plugin_call and passes
   it to your capability function; it dies when that call returns. Pass it down to whatever needs
   the host; never store it. Every helper below:
     - does nothing and returns 0 once the ctx holds an error (the first error is kept),
     - checks HM_HAS before calling a slot (a missing slot -> HM_ERROR_HOST_MISSING, except log,
       which just returns 0, and keep_going, which answers "go on"),
     - turns a 0 from the host into HM_ERROR_HOST_GONE.
     - refuses a call from a thread other than the one running the call (HM_ERROR_WRONG_THREAD,
       see "Threading rules"), returning 0 without calling the host.
   When your capability returns, the SDK reports the ctx's error (if any) as the call's
   PluginError, even if you returned 1. So you may ignore helper results and check once:
   `if (!hm_ok(ctx)) return 0;`. */

typedef struct hm_ctx hm_ctx;

typedef enum hm_level {
  HM_LOG_TRACE = 0,
  HM_LOG_DEBUG = 1,
  HM_LOG_INFO = 2,
  HM_LOG_WARN = 3,
  HM_LOG_ERROR = 4
} hm_level;
/* KV scopes: plugin = persistent, per plugin name; build = one `hm run`, shared by the run's
   plugins; step = one step execution. */
typedef enum hm_kv_scope { HM_KV_PLUGIN = 0, HM_KV_BUILD = 1, HM_KV_STEP = 2 } hm_kv_scope;
typedef enum hm_stream { HM_STREAM_STDOUT = 0, HM_STREAM_STDERR = 1 } hm_stream;

/* hm_ok - 1 while the ctx holds no error. OBJECT: ctx. THREAD: call. */
HM_DEF int hm_ok(const hm_ctx *ctx);
/* hm_ctx_error - the ctx's first error, HM_ERROR_NONE if none; HM_ERROR_MISUSE for a NULL ctx
   (so hm_ok(ctx) == (hm_ctx_error(ctx) == HM_ERROR_NONE) holds for NULL too). OBJECT: ctx.
   THREAD: call. */
HM_DEF hm_error hm_ctx_error(const hm_ctx *ctx);
/* hm_ctx_input - the raw borsh input of this call.
   OBJECT: ctx. THREAD: call. OWNERSHIP: borrowed from the host until hm_plugin_call returns. */
HM_DEF hm_bytes hm_ctx_input(const hm_ctx *ctx);
/* hm_ctx_api, hm_ctx_call - escape hatch for host slots newer than this header: check
   HM_HAS(api, slot) and call api->slot(call, ...) yourself. OBJECT: ctx. THREAD: call. */
HM_DEF const hm_host_api *hm_ctx_api(const hm_ctx *ctx);
HM_DEF hm_call *hm_ctx_call(const hm_ctx *ctx);
#ifdef HM__THREAD_LOCAL
#define HM_PLUGIN_HAS_CTX_CURRENT 1
/* hm_ctx_current - the ctx of the innermost hm_plugin_call running on this thread, NULL outside
   one. For deep helpers that cannot take a ctx parameter; prefer passing ctx explicitly.
   THREAD: call. Not declared under HM_PLUGIN_NO_THREAD_LOCAL. */
HM_DEF hm_ctx *hm_ctx_current(void);
#endif

/* hm_fail - record why the capability fails; the SDK reports it as PluginError {code, message}
   and hm_plugin_call returns HM_CALL_PLUGIN_ERROR. hm_fail_doc also sets doc_url.
   OBJECT: ctx. THREAD: call.
   RETURNS 0 always, so `return hm_fail(ctx, "bad_args", "no --name given");`. Keeps an earlier
   error if the ctx already holds one. OWNERSHIP: code, doc_url and the message are copied. */
HM_DEF int hm_fail(hm_ctx *ctx, const char *code, const char *fmt, ...) HM_PRINTF(3, 4);
HM_DEF int hm_fail_doc(hm_ctx *ctx, const char *code, const char *doc_url, const char *fmt, ...) HM_PRINTF(4, 5);

/* hm_ctx_alloc - memory that lives until hm_plugin_call returns (then the SDK frees it all).
   OBJECT: ctx. THREAD: call. Works even after a ctx error.
   RETURNS a pointer aligned for any type, or NULL when out of memory (ctx error HM_ERROR_NOMEM).
   Do not free it. Not for unbounded loops: nothing is released before the call returns. */
HM_DEF void *hm_ctx_alloc(hm_ctx *ctx, size_t size);
/* hm_ctx_sprintf - printf into ctx memory. hm_ctx_strdup - NUL-terminated copy of an hm_str
   (absent -> ""). OBJECT: ctx. THREAD: call.
   RETURNS the string, or NULL when out of memory (ctx error HM_ERROR_NOMEM). Lifetime as
   hm_ctx_alloc. */
HM_DEF char *hm_ctx_sprintf(hm_ctx *ctx, const char *fmt, ...) HM_PRINTF(2, 3);
HM_DEF char *hm_ctx_vsprintf(hm_ctx *ctx, const char *fmt, va_list args);
HM_DEF char *hm_ctx_strdup(hm_ctx *ctx, hm_str s);

/* hm_log, hm_logf - a log record from the plugin, at a level from trace to error.
   OBJECT: ctx. THREAD: call.
   RETURNS 1 = logged; 0 = not logged: the host lacks `log` (no error, nothing is written to
   stderr, which belongs to the CLI), or it failed (ctx error HM_ERROR_HOST_GONE).
   OWNERSHIP: msg is borrowed for the call; the host copies it. */
HM_DEF int hm_log(hm_ctx *ctx, hm_level level, const char *msg);
HM_DEF int hm_logf(hm_ctx *ctx, hm_level level, const char *fmt, ...) HM_PRINTF(3, 4);

/* hm_kv_get - read `key` from a KV scope. OBJECT: ctx. THREAD: call.
   RETURNS 1 = the host answered: out->ptr is the value, or NULL when the key is absent.
           0 = failed (host gone or failed, slot missing, earlier error): *out = {NULL, 0}.
   OWNERSHIP: out->ptr is host memory valid until hm_plugin_call returns; do not free or modify.
   CACHE: with a host that has kv_write_count (hm 0.2), a build- or step-scope key this call
   already read is answered from the ctx, without calling hm, as long as hm's count of KV writes
   has not moved since (any kv_set, by this call or any other, moves it). Plugin-scope keys, which
   other hm processes may write, are always read from hm. At most 32 keys per call are kept. */
HM_DEF int hm_kv_get(hm_ctx *ctx, hm_kv_scope scope, const char *key, hm_bytes *out);
/* hm_kv_set - store `len` bytes under `key` in a KV scope. OBJECT: ctx. THREAD: call.
   RETURNS 1 = stored; 0 = failed. OWNERSHIP: key and value are copied by the host. */
HM_DEF int hm_kv_set(hm_ctx *ctx, hm_kv_scope scope, const char *key, const void *value, size_t len);

/* hm_emit_step_log - one line of the running step's output (the host strips one trailing newline).
   OBJECT: ctx. THREAD: call. RETURNS 1 = sent; 0 = failed. OWNERSHIP: bytes copied by the host. */
HM_DEF int hm_emit_step_log(hm_ctx *ctx, hm_stream stream, const void *bytes, size_t len);
/* hm_emit_step_logs - many lines of the running step's output in one host call, e.g. what one
   read() of a child's pipe returned. Each '\n' ends a line (the host strips it, and a '\r'
   before it, as emit_step_log does); bytes after the last '\n' are one more line, so pass whole
   lines, keeping a partial last line for the next call. len 0 sends nothing. An hm without the
   emit_step_logs slot (before 0.2) gets one emit_step_log per line instead.
   OBJECT: ctx. THREAD: call. RETURNS 1 = sent; 0 = failed. OWNERSHIP: bytes copied by the host. */
HM_DEF int hm_emit_step_logs(hm_ctx *ctx, hm_stream stream, const void *bytes, size_t len);

/* hm_keep_going - poll for cancellation; call it at least every ~100 ms in long work.
   hm_should_cancel is its negation. OBJECT: ctx. THREAD: call.
   RETURNS 1 = go on; 0 = stop now (the run was cancelled or timed out, the host is gone, or the
   ctx holds an error). A 0 from the host is NOT a ctx error: cancellation is not a failure.
   A host without the slot never cancels (returns 1). */
HM_DEF int hm_keep_going(hm_ctx *ctx);
HM_DEF int hm_should_cancel(hm_ctx *ctx);

/* hm_write_stdout, hm_write_stderr - raw bytes to hm's stdout or stderr (during `hm run`, stdout
   output goes to stderr: stdout carries the event stream). OBJECT: ctx. THREAD: call.
   RETURNS 1 = written; 0 = failed. OWNERSHIP: bytes copied by the host. */
HM_DEF int hm_write_stdout(hm_ctx *ctx, const void *bytes, size_t len);
HM_DEF int hm_write_stderr(hm_ctx *ctx, const void *bytes, size_t len);

/* hm_archive_read - copy up to `cap` bytes of workspace archive `id`, from `offset`, into buf.
   OBJECT: ctx. THREAD: call.
   RETURNS 1 = the host answered; *out_len = bytes copied (0 at or after the end, or unknown id).
           0 = failed; *out_len = 0.
   OWNERSHIP: buf is yours; the host writes into it before returning. */
HM_DEF int hm_archive_read(hm_ctx *ctx, const uint8_t id[16], uint64_t offset, void *buf, size_t cap,
                           size_t *out_len);
/* hm_archive_total_size - the archive's size in bytes (0 for an unknown id). OBJECT: ctx.
   THREAD: call. RETURNS 1 = *out_size set; 0 = failed, *out_size = 0. */
HM_DEF int hm_archive_total_size(hm_ctx *ctx, const uint8_t id[16], uint64_t *out_size);

/* hm_fs_read_config - read a file under the project's .hm/ directory, by relative path.
   OBJECT: ctx. THREAD: call.
   RETURNS 1 = the host answered: out->ptr is the content, or NULL when absent or refused (missing,
           unreadable, not UTF-8, or outside .hm/). 0 = failed: *out = {NULL, 0}.
   OWNERSHIP: out->ptr is host memory valid until hm_plugin_call returns; do not free or modify. */
HM_DEF int hm_fs_read_config(hm_ctx *ctx, const char *rel_path, hm_bytes *out);

/* hm_emit_event: see "Messages" (it takes an hm_build_event). */

/* =================================================================================================
   === Borsh reader

   An hm_reader reads borsh from a byte range it borrows (mpack-style "expect" reading). Every read
   checks bounds; every u32 length is checked against the bytes left BEFORE any allocation or loop.
   The first error is kept, and every later read fails at once, returning 0, "" or an empty value,
   so you may read a whole message and check once with hm_reader_finish(), which also flags
   trailing bytes. In-place results (hm_str, hm_value, ...) point into the input: valid while the
   input is (for a plugin call's input: until hm_plugin_call returns). OBJECT: reader.
   THREAD: any. Fields are private: use the functions. */

typedef struct hm_reader {
  const uint8_t *start; /* first byte of the input */
  const uint8_t *pos;   /* next byte to read */
  const uint8_t *end;   /* one past the last readable byte; set to pos by an error */
  hm_error error;       /* first error */
  size_t error_offset;  /* offset of the byte where the first error was found */
  size_t total;         /* input length */
} hm_reader;

/* hm_reader_init - start reading `len` bytes at `data` (NULL allowed when len is 0).
   hm_reader_init_error - a reader that is already in error `e` (for wrappers that can fail). */
HM_DEF void hm_reader_init(hm_reader *r, const void *data, size_t len);
HM_DEF void hm_reader_init_error(hm_reader *r, hm_error e);
/* hm_reader_flag_error - record `e` unless an error is already recorded. */
HM_DEF void hm_reader_flag_error(hm_reader *r, hm_error e);
HM_DEF hm_error hm_reader_error(const hm_reader *r);
/* hm_reader_remaining - bytes not yet read (0 after an error). */
HM_DEF size_t hm_reader_remaining(const hm_reader *r);
/* hm_reader_finish - RETURNS 1 when no error happened and every byte was read; otherwise 0,
   flagging HM_ERROR_TRAILING if bytes are left. */
HM_DEF int hm_reader_finish(hm_reader *r);

/* Fixed-size reads. RETURN the value, or 0 after an error. hm_read_bool flags bytes > 1;
   hm_read_f64 flags NaN (borsh refuses it). */
HM_DEF uint8_t hm_read_u8(hm_reader *r);
HM_DEF uint32_t hm_read_u32(hm_reader *r);
HM_DEF uint64_t hm_read_u64(hm_reader *r);
HM_DEF int32_t hm_read_i32(hm_reader *r);
HM_DEF int64_t hm_read_i64(hm_reader *r);
HM_DEF double hm_read_f64(hm_reader *r);
HM_DEF int hm_read_bool(hm_reader *r);
/* hm_read_enum - a variant byte; flags HM_ERROR_INVALID unless it is < variant_count. */
HM_DEF uint8_t hm_read_enum(hm_reader *r, uint8_t variant_count);
/* hm_read_option - an Option tag: 1 = Some (the value follows), 0 = None or error. */
HM_DEF int hm_read_option(hm_reader *r);
/* hm_read_len - a u32 count of items that take at least min_item_size bytes each (>= 1); flags
   HM_ERROR_TRUNCATED when count * min_item_size exceeds the bytes left. _max also flags
   HM_ERROR_TOO_BIG above max. RETURNS the count, 0 after an error. */
HM_DEF uint32_t hm_read_len(hm_reader *r, size_t min_item_size);
HM_DEF uint32_t hm_read_len_max(hm_reader *r, size_t min_item_size, uint32_t max);
/* hm_read_bytes - copy n raw bytes into dst (zero-filled on error). hm_read_uuid: 16 bytes.
   hm_read_bytes_inplace - RETURNS a pointer to the next n bytes in the input, NULL on error. */
HM_DEF int hm_read_bytes(hm_reader *r, void *dst, size_t n);
HM_DEF int hm_read_uuid(hm_reader *r, uint8_t out[16]);
HM_DEF const uint8_t *hm_read_bytes_inplace(hm_reader *r, size_t n);
/* hm_read_str_ref - a borsh string (u32 length + UTF-8, validated) in place.
   RETURNS the slice (not NUL-terminated), or {"", 0} after an error. _max flags HM_ERROR_TOO_BIG
   for longer strings. hm_read_opt_str_ref - Option<string>: ptr NULL for None. */
HM_DEF hm_str hm_read_str_ref(hm_reader *r);
HM_DEF hm_str hm_read_str_ref_max(hm_reader *r, size_t max);
HM_DEF hm_str hm_read_opt_str_ref(hm_reader *r);
/* hm_read_str_copy - a borsh string copied into buf and NUL-terminated. RETURNS 1; 0 on error,
   writing "" (HM_ERROR_TOO_BIG when the string and its NUL do not fit in cap bytes). */
HM_DEF int hm_read_str_copy(hm_reader *r, char *buf, size_t cap);

/* Collections kept in place: the decoder validates them once, then iterators walk them without
   failing. ptr NULL = absent (an Option that was None). Maps iterate in wire order (the host sorts
   keys); a key that occurs twice resolves to its last occurrence in _get, like a Rust BTreeMap. */
typedef struct hm_str_map { /* map string -> string */
  const uint8_t *ptr;       /* first entry */
  size_t len;               /* bytes of all entries */
  uint32_t count;
} hm_str_map;
typedef struct hm_str_list { /* Vec<string> */
  const uint8_t *ptr;
  size_t len;
  uint32_t count;
} hm_str_list;
typedef struct hm_iter { /* private fields */
  const uint8_t *pos;
  const uint8_t *end;
  uint32_t left;
} hm_iter;

/* hm_read_str_map, hm_read_str_list - validate and keep in place. RETURN the collection, zeroed
   after an error. */
HM_DEF hm_str_map hm_read_str_map(hm_reader *r);
HM_DEF hm_str_list hm_read_str_list(hm_reader *r);
/* hm_str_map_get - RETURNS 1 and sets *value when key is present; 0 otherwise (*value untouched).
   hm_str_map_iter/_next - iterate: `hm_iter it = hm_str_map_iter(m); while (hm_str_map_next(&it,
   &k, &v)) ...`. hm_str_list_iter/_next - likewise. THREAD: any. */
HM_DEF int hm_str_map_get(hm_str_map map, const char *key, hm_str *value);
HM_DEF hm_iter hm_str_map_iter(hm_str_map map);
HM_DEF int hm_str_map_next(hm_iter *it, hm_str *key, hm_str *value);
HM_DEF hm_iter hm_str_list_iter(hm_str_list list);
HM_DEF int hm_str_list_next(hm_iter *it, hm_str *item);

/* =================================================================================================
   === Borsh writer

   An hm_writer appends borsh to a buffer: growable (heap, HM_PLUGIN_REALLOC) or fixed (yours; an
   overflow flags HM_ERROR_TOO_BIG instead of writing past it). Errors are sticky like the
   reader's; hm_writer_finish hands out the bytes, or NULL on error. Always call
   hm_writer_destroy. OBJECT: writer. THREAD: any. Fields are private. */

typedef struct hm__value_frame hm__value_frame;
typedef struct hm_writer {
  uint8_t *data;
  size_t len;
  size_t cap;
  hm_error error;
  int growable;
  hm__value_frame *frames; /* open Value arrays/objects, checked by the Value writers */
  int depth;
  int frame_cap;
} hm_writer;

/* hm_writer_init - growable, starts empty. hm_writer_init_fixed - writes into buf[0..cap).
   hm_writer_init_error - a writer already in error `e`. */
HM_DEF void hm_writer_init(hm_writer *w);
HM_DEF void hm_writer_init_fixed(hm_writer *w, void *buf, size_t cap);
HM_DEF void hm_writer_init_error(hm_writer *w, hm_error e);
HM_DEF void hm_writer_flag_error(hm_writer *w, hm_error e);
HM_DEF hm_error hm_writer_error(const hm_writer *w);
/* hm_writer_finish - RETURNS 1 and sets *out and *out_len to the bytes written; 0 on error (also
   for a Value left unfinished) with *out = NULL, *out_len = 0.
   OWNERSHIP: the bytes belong to the writer, valid until hm_writer_destroy or the next write. */
HM_DEF int hm_writer_finish(hm_writer *w, const uint8_t **out, size_t *out_len);
/* hm_writer_destroy - free what the writer allocated (not a fixed buffer). Safe on any writer. */
HM_DEF void hm_writer_destroy(hm_writer *w);

/* Primitive writes. Each RETURNS 1, or 0 when the writer is (or becomes) in error.
   hm_write_str flags HM_ERROR_MISUSE for NULL and HM_ERROR_UTF8 for invalid UTF-8;
   hm_write_opt_str writes None for NULL. hm_write_str_ref writes an hm_str (absent -> misuse);
   hm_write_opt_str_ref writes None for an absent one. hm_write_len writes a u32 count
   (HM_ERROR_TOO_BIG above UINT32_MAX). hm_write_char writes a Unicode scalar value as u32
   (HM_ERROR_INVALID otherwise). hm_write_f64 refuses NaN. hm_write_bytes writes raw bytes with
   no length prefix. */
HM_DEF int hm_write_u8(hm_writer *w, uint8_t v);
HM_DEF int hm_write_u32(hm_writer *w, uint32_t v);
HM_DEF int hm_write_u64(hm_writer *w, uint64_t v);
HM_DEF int hm_write_i32(hm_writer *w, int32_t v);
HM_DEF int hm_write_i64(hm_writer *w, int64_t v);
HM_DEF int hm_write_f64(hm_writer *w, double v);
HM_DEF int hm_write_bool(hm_writer *w, int v);
HM_DEF int hm_write_enum(hm_writer *w, uint8_t variant);
HM_DEF int hm_write_option(hm_writer *w, int present);
HM_DEF int hm_write_len(hm_writer *w, size_t count);
HM_DEF int hm_write_char(hm_writer *w, uint32_t code_point);
HM_DEF int hm_write_bytes(hm_writer *w, const void *bytes, size_t n);
HM_DEF int hm_write_uuid(hm_writer *w, const uint8_t uuid[16]);
HM_DEF int hm_write_str(hm_writer *w, const char *s);
HM_DEF int hm_write_str_n(hm_writer *w, const char *s, size_t len);
HM_DEF int hm_write_str_ref(hm_writer *w, hm_str s);
HM_DEF int hm_write_opt_str(hm_writer *w, const char *s);
HM_DEF int hm_write_opt_str_ref(hm_writer *w, hm_str s);

/* =================================================================================================
   === Value

   The wire protocol's dynamic value (runner_args, subcommand args, JSON schemas): enum Null,
   Bool(u8), Int(i64), Float(f64), Str, Array(Vec<Value>), Object(u32 count + (string key, Value)
   sorted by key bytes). Read side: an hm_value is a validated, borrowed byte range (ptr NULL =
   absent) with lookup helpers. Write side: write the items in order; the writer checks counts and
   key order. */

typedef struct hm_value {
  const uint8_t *ptr;
  size_t len;
} hm_value;

typedef enum hm_value_kind {
  HM_VALUE_ABSENT = -1, /* ptr NULL: the Option was None (or a lookup missed) */
  HM_VALUE_NULL = 0,
  HM_VALUE_BOOL = 1,
  HM_VALUE_INT = 2,
  HM_VALUE_FLOAT = 3,
  HM_VALUE_STR = 4,
  HM_VALUE_ARRAY = 5,
  HM_VALUE_OBJECT = 6
} hm_value_kind;

/* hm_read_value - validate one Value (depth-limited) and keep it in place. hm_read_opt_value -
   Option<Value>, ptr NULL for None. RETURN the value; {NULL, 0} after an error. OBJECT: reader. */
HM_DEF hm_value hm_read_value(hm_reader *r);
HM_DEF hm_value hm_read_opt_value(hm_reader *r);

/* Inspecting a value. THREAD: any. hm_value_kind_of RETURNS the kind (HM_VALUE_ABSENT for ptr
   NULL). The hm_value_as_* functions RETURN 1 and set *out when the value has that kind, else 0
   with *out untouched. hm_value_as_int also accepts a Float holding an integer in i64 range;
   hm_value_as_float also accepts an Int. hm_value_count RETURNS the items of an array or object
   (0 for other kinds). */
HM_DEF hm_value_kind hm_value_kind_of(hm_value v);
HM_DEF int hm_value_as_bool(hm_value v, int *out);
HM_DEF int hm_value_as_int(hm_value v, int64_t *out);
HM_DEF int hm_value_as_float(hm_value v, double *out);
HM_DEF int hm_value_as_str(hm_value v, hm_str *out);
HM_DEF uint32_t hm_value_count(hm_value v);
/* Iterating: `hm_iter it = hm_value_iter(v);` then hm_value_array_next (arrays) or
   hm_value_object_next (objects) until it returns 0. THREAD: any. */
HM_DEF hm_iter hm_value_iter(hm_value v);
HM_DEF int hm_value_array_next(hm_iter *it, hm_value *item);
HM_DEF int hm_value_object_next(hm_iter *it, hm_str *key, hm_value *value);
/* hm_value_get - look up `key` in an object. RETURNS 1 and sets *out; 0 when v is not an object
   or has no such key (*out untouched). The _str/_int/_bool forms also require that kind (as the
   hm_value_as_* functions do), e.g. for SubcommandInput.args. THREAD: any. */
HM_DEF int hm_value_get(hm_value v, const char *key, hm_value *out);
HM_DEF int hm_value_get_str(hm_value v, const char *key, hm_str *out);
HM_DEF int hm_value_get_int(hm_value v, const char *key, int64_t *out);
HM_DEF int hm_value_get_bool(hm_value v, const char *key, int *out);

/* Writing a value. OBJECT: writer. THREAD: any. Each RETURNS 1, or 0 on error.
   hm_write_value_array(w, n) must be followed by exactly n values; hm_write_value_object(w, n) by
   n pairs of hm_write_value_key + a value, keys in strictly increasing byte order
   (HM_ERROR_UNSORTED otherwise); other mistakes flag HM_ERROR_MISUSE, and hm_writer_finish fails
   while a container is unfinished. hm_write_value_raw copies a value read elsewhere (validated).
   hm_write_value_json converts JSON text (NUL-terminated) to a Value: integers become Int (or
   Float beyond i64), other numbers Float, object keys are sorted; invalid JSON or a duplicate key
   flags HM_ERROR_JSON. Use it for schemas: see hm_manifest. */
HM_DEF int hm_write_value_null(hm_writer *w);
HM_DEF int hm_write_value_bool(hm_writer *w, int v);
HM_DEF int hm_write_value_int(hm_writer *w, int64_t v);
HM_DEF int hm_write_value_float(hm_writer *w, double v);
HM_DEF int hm_write_value_str(hm_writer *w, const char *s);
HM_DEF int hm_write_value_str_n(hm_writer *w, const char *s, size_t len);
HM_DEF int hm_write_value_array(hm_writer *w, uint32_t count);
HM_DEF int hm_write_value_object(hm_writer *w, uint32_t count);
HM_DEF int hm_write_value_key(hm_writer *w, const char *key);
HM_DEF int hm_write_value_key_n(hm_writer *w, const char *key, size_t len);
HM_DEF int hm_write_value_raw(hm_writer *w, hm_value v);
HM_DEF int hm_write_value_json(hm_writer *w, const char *json);

/* =================================================================================================
   === Messages

   C views of the protocol-2 messages (docs/plugin-abi.md lists their borsh layouts). Decoded
   messages borrow from the input: every hm_str, hm_str_map, hm_str_list and hm_value points into
   it. The hm_read_* decoders zero *out on failure; the reader holds the error. The hm_write_*
   encoders RETURN 1, or 0 with the writer in error (NULL required strings flag HM_ERROR_MISUSE). */

typedef enum hm_cache_decision_kind {
  HM_CACHE_HIT = 0,           /* a snapshot exists: do not run cmd; report tag back */
  HM_CACHE_MISS_BUILD_AS = 1, /* run cmd; on success commit to tag and return it */
  HM_CACHE_MISS_NO_COMMIT = 2 /* run cmd; do not commit under a cache tag */
} hm_cache_decision_kind;

typedef struct hm_command_step {
  hm_str key;
  hm_str label;            /* ptr NULL = none */
  hm_str cmd;
  hm_str builds_in;        /* ptr NULL = none */
  hm_str image;            /* ptr NULL = none */
  hm_str_map env;          /* ptr NULL = none */
  int has_timeout_seconds;
  uint32_t timeout_seconds;
  int has_cache;
  hm_str cache_policy;     /* when has_cache */
  hm_str cache_key;        /* when has_cache; ptr NULL = none */
  hm_str runner;           /* ptr NULL = none (the default runner) */
  hm_value runner_args;    /* ptr NULL = none */
} hm_command_step;

typedef struct hm_executor_input {
  hm_command_step step;
  uint8_t workspace_archive_id[16];
  hm_str_map env;          /* fully merged environment */
  hm_str workdir;          /* "/workspace" */
  uint8_t run_id[16];
  uint8_t step_id[16];
  hm_cache_decision_kind cache_lookup;
  hm_str cache_tag;        /* HM_CACHE_HIT and HM_CACHE_MISS_BUILD_AS; ptr NULL otherwise */
  hm_str parent_snapshot;  /* ptr NULL = none */
} hm_executor_input;

typedef struct hm_artifact {
  const char *key;
  const char *mime;
  uint64_t size_bytes;
} hm_artifact;

/* What execute_step returns; the SDK zeroes it before calling you (exit 0, no snapshot). */
typedef struct hm_step_result {
  int32_t exit_code;
  const char *committed_snapshot; /* NULL = none */
  const hm_artifact *artifacts;
  size_t artifact_count;
} hm_step_result;

typedef enum hm_event_kind {
  HM_EVENT_BUILD_START = 0,
  HM_EVENT_STEP_QUEUED = 1,
  HM_EVENT_STEP_START = 2,
  HM_EVENT_STEP_LOG = 3,
  HM_EVENT_STEP_CACHE_HIT = 4,
  HM_EVENT_STEP_END = 5,
  HM_EVENT_CHAIN_FAILED = 6,
  HM_EVENT_BUILD_END = 7,
  HM_EVENT_STEP_LOGS = 8 /* protocol 3, hooks only: hm sends it, hm_emit_event refuses it */
} hm_event_kind;

/* Lines of a HM_EVENT_STEP_LOGS event, validated and kept in place (in the hook's input): read
   them one by one with hm_step_logs_iter / hm_step_logs_next. */
typedef struct hm_step_log_list {
  const uint8_t *ptr;
  size_t len;
  uint32_t count;
} hm_step_log_list;

/* One line of a hm_step_log_list: a step_log event's fields. line borrows the hook's input. */
typedef struct hm_step_log_line {
  uint8_t step_id[16];
  int stream; /* hm_stream: 0 stdout, 1 stderr */
  hm_str line;
  int64_t ts_ms;
} hm_step_log_line;

/* A BuildEvent: read from a HookEvent, or filled in for hm_emit_event. Timestamps are i64
   milliseconds since the Unix epoch; ids are raw UUID bytes. */
typedef struct hm_build_event {
  hm_event_kind kind;
  union {
    struct {
      uint8_t run_id[16];
      uint64_t step_count;
      uint64_t chain_count;
      hm_str default_runner;
      int64_t started_at_ms;
    } build_start;
    struct {
      uint8_t step_id[16];
      hm_str key;
      uint64_t chain_idx;
    } step_queued;
    struct {
      uint8_t step_id[16];
      hm_str runner;
      hm_str image; /* ptr NULL = none */
    } step_start;
    struct {
      uint8_t step_id[16];
      hm_stream stream;
      hm_str line;
      int64_t ts_ms;
    } step_log;
    struct {
      uint8_t step_id[16];
      hm_str key;
      hm_str tag;
    } step_cache_hit;
    struct {
      uint8_t step_id[16];
      int32_t exit_code;
      uint64_t duration_ms;
      hm_str snapshot; /* ptr NULL = none */
    } step_end;
    struct {
      uint64_t chain_idx;
      uint8_t failed_step_id[16];
      hm_str failed_step_key;
      int32_t exit_code;
      hm_str message;
      int64_t ts_ms;
    } chain_failed;
    struct {
      int32_t exit_code;
      uint64_t duration_ms;
    } build_end;
    struct {
      hm_step_log_list lines; /* in the order hm published them; may mix steps */
    } step_logs;
  } as;
} hm_build_event;

/* The kinds a lifecycle hook subscribes to (no chain_failed; numbered apart from hm_event_kind). */
typedef enum hm_hook_kind {
  HM_HOOK_NONE = -1, /* hm_hook_kind_of(HM_EVENT_CHAIN_FAILED) */
  HM_HOOK_BUILD_START = 0,
  HM_HOOK_STEP_QUEUED = 1,
  HM_HOOK_STEP_START = 2,
  HM_HOOK_STEP_LOG = 3,
  HM_HOOK_STEP_CACHE_HIT = 4,
  HM_HOOK_STEP_END = 5,
  HM_HOOK_BUILD_END = 6,
  /* Protocol 3: the step_log lines waiting for this hook, many per on_hook_event call (event
     HM_EVENT_STEP_LOGS). Phase HM_HOOK_AFTER only; do not list HM_HOOK_STEP_LOG with it. */
  HM_HOOK_STEP_LOGS = 7
} hm_hook_kind;

typedef enum hm_hook_phase { HM_HOOK_BEFORE = 0, HM_HOOK_AFTER = 1 } hm_hook_phase;

typedef struct hm_hook_event {
  hm_build_event event;
  hm_hook_phase phase;
} hm_hook_event;

typedef enum hm_hook_outcome_kind { HM_HOOK_CONTINUE = 0, HM_HOOK_ABORT = 1 } hm_hook_outcome_kind;

/* What on_hook_event returns; zeroed (Continue) before you are called. Abort counts only in the
   before phase. */
typedef struct hm_hook_outcome {
  hm_hook_outcome_kind kind;
  const char *reason; /* HM_HOOK_ABORT: required */
} hm_hook_outcome;

typedef struct hm_subcommand_input {
  hm_str_list verb_path; /* full path including the top-level verb */
  hm_value args;         /* object keyed by arg id: positional name or option/flag long name */
  hm_str_map env;        /* the host's HARMONT_* variables */
} hm_subcommand_input;

/* What run_subcommand returns; zeroed before you are called. hm prints message to stderr and
   exits with exit_code. */
typedef struct hm_exit_info {
  int32_t exit_code;
  const char *message; /* NULL = none */
} hm_exit_info;

typedef struct hm_plugin_error {
  const char *code;    /* stable snake_case id */
  const char *message;
  const char *doc_url; /* NULL = none */
} hm_plugin_error;

/* hm_event_kind_name - "build_start", ..., "build_end"; NULL out of range. hm_hook_kind_name
   likewise for hook kinds. hm_hook_kind_of - the hook kind of an event kind (HM_HOOK_NONE for
   chain_failed and out-of-range values). THREAD: any. */
HM_DEF const char *hm_event_kind_name(hm_event_kind kind);
HM_DEF const char *hm_hook_kind_name(hm_hook_kind kind);
HM_DEF hm_hook_kind hm_hook_kind_of(hm_event_kind kind);

/* hm_step_logs_iter, hm_step_logs_next - iterate a HM_EVENT_STEP_LOGS event's lines:
     hm_iter it = hm_step_logs_iter(in->event.as.step_logs.lines);
     hm_step_log_line l;
     while (hm_step_logs_next(&it, &l)) ...
   RETURNS 1 with *line filled, 0 at the end. THREAD: any. OWNERSHIP: line->line borrows the
   hook's input (valid until on_hook_event returns). */
HM_DEF hm_iter hm_step_logs_iter(hm_step_log_list lines);
HM_DEF int hm_step_logs_next(hm_iter *it, hm_step_log_line *line);

/* Decoders (OBJECT: reader, THREAD: any). RETURN 1, or 0 with *out zeroed. */
HM_DEF int hm_read_command_step(hm_reader *r, hm_command_step *out);
HM_DEF int hm_read_executor_input(hm_reader *r, hm_executor_input *out);
HM_DEF int hm_read_build_event(hm_reader *r, hm_build_event *out);
HM_DEF int hm_read_hook_event(hm_reader *r, hm_hook_event *out);
HM_DEF int hm_read_subcommand_input(hm_reader *r, hm_subcommand_input *out);

/* Encoders (OBJECT: writer, THREAD: any). RETURN 1, or 0 with the writer in error. */
typedef struct hm_manifest hm_manifest;
HM_DEF int hm_write_manifest(hm_writer *w, const hm_manifest *m);
HM_DEF int hm_write_step_result(hm_writer *w, const hm_step_result *v);
HM_DEF int hm_write_hook_outcome(hm_writer *w, const hm_hook_outcome *v);
HM_DEF int hm_write_exit_info(hm_writer *w, const hm_exit_info *v);
HM_DEF int hm_write_plugin_error(hm_writer *w, const hm_plugin_error *v);
HM_DEF int hm_write_build_event(hm_writer *w, const hm_build_event *v);

/* hm_emit_event - publish a BuildEvent on hm's event bus (encoded for you). OBJECT: ctx.
   THREAD: call. RETURNS 1 = sent; 0 = failed (an encoding problem becomes the ctx error too).
   OWNERSHIP: ev is read before returning. */
HM_DEF int hm_emit_event(hm_ctx *ctx, const hm_build_event *ev);

/* =================================================================================================
   === Plugin descriptor

   A plugin is a manifest plus one function per capability (LV2-style descriptor). The manifest is
   static data: the SDK encodes it for method 0 without running any of your code, so listing
   plugins cannot be broken by a plugin's initialisation. */

typedef enum hm_arg_kind { HM_ARG_POSITIONAL = 0, HM_ARG_OPTION = 1, HM_ARG_FLAG = 2 } hm_arg_kind;
typedef enum hm_arg_type { HM_ARG_STRING = 0, HM_ARG_INT = 1, HM_ARG_BOOL = 2 } hm_arg_type;

typedef struct hm_arg_spec {
  hm_arg_kind kind;
  const char *name;          /* positional: its name; option, flag: the long name without "--" */
  uint32_t short_name;       /* option, flag: a code point such as 'c'; 0 = none */
  const char *help;          /* NULL = none */
  int required;              /* positional, option */
  hm_arg_type value_type;    /* positional, option */
  const char *default_value; /* option; NULL = none */
} hm_arg_spec;

typedef struct hm_subcommand_spec {
  const char *verb;  /* `hm <verb>`; unique across plugins */
  const char *about; /* help text */
  const hm_arg_spec *args;
  size_t arg_count;
  const struct hm_subcommand_spec *subcommands;
  size_t subcommand_count;
} hm_subcommand_spec;

typedef struct hm_step_executor_spec {
  const char *runner;           /* matched against CommandStep.runner; no whitespace */
  int is_default;               /* replaces docker as the default runner */
  const char *step_schema_json; /* JSON Schema for runner_args as JSON text; NULL = none */
} hm_step_executor_spec;

typedef struct hm_lifecycle_hook_spec {
  const hm_hook_kind *events;
  size_t event_count;
  hm_hook_phase phase;
  uint32_t timeout_ms;
} hm_lifecycle_hook_spec;

typedef enum hm_capability_kind {
  HM_CAP_SUBCOMMAND = 0,
  HM_CAP_STEP_EXECUTOR = 1,
  HM_CAP_LIFECYCLE_HOOK = 2
} hm_capability_kind;

typedef struct hm_capability {
  hm_capability_kind kind;
  union {
    hm_subcommand_spec subcommand;
    hm_step_executor_spec step_executor;
    hm_lifecycle_hook_spec lifecycle_hook;
  } as;
} hm_capability;

struct hm_manifest {
  uint32_t api_version; /* 0 = HM_PROTOCOL_VERSION (set it only to test hm's rejection) */
  const char *name;     /* stable plugin id, e.g. "acme-deploy" */
  const char *version;  /* semver, e.g. "0.1.0" */
  const char *description;
  const hm_capability *capabilities;
  size_t capability_count;
  const char *config_schema_json; /* JSON Schema of the plugin's config as JSON text; NULL = none */
};

/* Bits for hm_plugin_def.needs: host functions the plugin cannot work without. The SDK checks
   them before every capability call and fails it with PluginError "host_incompatible" naming the
   first missing one, instead of letting a helper hit a missing slot mid-way. One bit per line of
   HM_HOST_FUNCTIONS: HM_NEEDS_<NAME> = 1 << index (HM_NEEDS_LOG ... HM_NEEDS_FS_READ_CONFIG;
   HM_NEEDS_SET_RESULT always holds, since the SDK refuses a table without set_result). */
typedef enum hm_host_fn {
#define HM__NEEDS_BIT(index, name, NAME, parameters) HM_NEEDS_##NAME = 1u << (index),
  HM_HOST_FUNCTIONS(HM__NEEDS_BIT)
#undef HM__NEEDS_BIT
  HM__NEEDS_NONE = 0
} hm_host_fn;

/* Capability functions. THREAD: call (see "Threading rules": execute_step may run on several
   threads at once; on_hook_event is serialized per plugin).
   in   borrowed from the host's input until you return.
   out  zeroed by the SDK; fill it. Its strings must stay valid until you return: use literals,
        your own static data, or hm_ctx_sprintf / hm_ctx_strdup.
   RETURN 1 = success (out is the result), 0 = failure: say why with hm_fail() first. */
typedef int (*hm_execute_step_fn)(hm_ctx *ctx, const hm_executor_input *in, hm_step_result *out);
typedef int (*hm_on_hook_event_fn)(hm_ctx *ctx, const hm_hook_event *in, hm_hook_outcome *out);
typedef int (*hm_run_subcommand_fn)(hm_ctx *ctx, const hm_subcommand_input *in, hm_exit_info *out);

typedef struct hm_plugin_def {
  const hm_manifest *manifest;        /* required */
  hm_execute_step_fn execute_step;    /* NULL: method 1 answers "not_implemented" */
  hm_on_hook_event_fn on_hook_event;  /* NULL: method 2 answers "not_implemented" */
  hm_run_subcommand_fn run_subcommand;/* NULL: method 3 answers "not_implemented" */
  uint32_t needs;                     /* HM_NEEDS_* bits: host functions checked before each call */
} hm_plugin_def;

/* HM_PLUGIN(def) - define the exported hm_plugin_call for the hm_plugin_def object `def`. Use it
   once per plugin, at file scope, followed by a semicolon.

   hm_plugin_dispatch - what that hm_plugin_call does, callable directly (e.g. from a C test
   host that links a plugin statically):
     1. rejects a table that is NULL, of another ABI, smaller than HM_HOST_API_V1_SIZE or without
        set_result: returns HM_CALL_PLUGIN_ERROR without a result (there is no safe way to set one);
     2. method 0: encodes def->manifest;
     3. methods 1-3: "not_implemented" when the capability is NULL; checks def->needs; decodes
        the input ("deserialize" on failure: malformed, or trailing bytes); calls the capability
        with a fresh ctx; encodes its result, or its error;
     4. other methods: "unknown_method".
   RETURNS an hm_call_status. THREAD: as hm_plugin_call. */
HM_DEF int32_t hm_plugin_dispatch(const hm_plugin_def *def, const hm_host_api *api, hm_call *call, uint32_t method,
                                  const uint8_t *input, size_t input_len);

#define HM_PLUGIN(def)                                                                                          \
  HM_EXPORT int32_t hm_plugin_call(const hm_host_api *api, hm_call *call, uint32_t method, const uint8_t *input, \
                                   size_t input_len) {                                                          \
    return hm_plugin_dispatch(&(def), api, call, method, input, input_len);                                     \
  }                                                                                                             \
  extern int hm__plugin_macro_used

#ifdef __cplusplus
}
#endif

#endif /* HM_PLUGIN_H */

/* =================================================================================================
   IMPLEMENTATION
   ================================================================================================= */

#ifdef HM_PLUGIN_IMPLEMENTATION
#ifndef HM__IMPLEMENTATION_INCLUDED
#define HM__IMPLEMENTATION_INCLUDED

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#if defined(HM_PLUGIN_MALLOC) || defined(HM_PLUGIN_REALLOC) || defined(HM_PLUGIN_FREE)
#if !defined(HM_PLUGIN_MALLOC) || !defined(HM_PLUGIN_REALLOC) || !defined(HM_PLUGIN_FREE)
#error "hm_plugin.h: define all of HM_PLUGIN_MALLOC, HM_PLUGIN_REALLOC and HM_PLUGIN_FREE, or none"
#endif
#else
#include <stdlib.h>
#define HM_PLUGIN_MALLOC(size) malloc(size)
#define HM_PLUGIN_REALLOC(ptr, size) realloc(ptr, size)
#define HM_PLUGIN_FREE(ptr) free(ptr)
#endif

#ifndef HM_PLUGIN_ASSERT
#include <assert.h>
#define HM_PLUGIN_ASSERT(x) assert(x)
#endif

#ifndef HM_PLUGIN_VALUE_MAX_DEPTH
#define HM_PLUGIN_VALUE_MAX_DEPTH 64
#endif

/* Which thread runs a call, so the ctx helpers can refuse the others. With thread-local storage,
   the address of a thread-local byte: unique to each live thread, and the call's thread lives
   until the call returns. Without it, pthread_self() on POSIX; elsewhere no check. */
#if defined(HM__THREAD_LOCAL)
typedef const void *hm__thread_id;
static HM__THREAD_LOCAL char hm__thread_marker;
static hm__thread_id hm__this_thread(void) { return &hm__thread_marker; }
static int hm__same_thread(hm__thread_id a, hm__thread_id b) { return a == b; }
#elif defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
typedef pthread_t hm__thread_id;
static hm__thread_id hm__this_thread(void) { return pthread_self(); }
static int hm__same_thread(hm__thread_id a, hm__thread_id b) { return pthread_equal(a, b); }
#else
typedef int hm__thread_id;
static hm__thread_id hm__this_thread(void) { return 0; }
static int hm__same_thread(hm__thread_id a, hm__thread_id b) { return a == b; }
#endif

#ifdef __cplusplus
extern "C" {
#endif

HM_EXPORT uint32_t hm_plugin_abi_version(void) { return HM_ABI_VERSION; }

/* ---- errors --------------------------------------------------------------------------------- */

HM_DEF const char *hm_error_string(hm_error code) {
  switch (code) {
    case HM_ERROR_NONE: return "no error";
    case HM_ERROR_TRUNCATED: return "input ended early (truncated, or a length larger than the bytes left)";
    case HM_ERROR_INVALID: return "invalid encoding (bad tag, bool, enum variant, char or NaN float)";
    case HM_ERROR_UTF8: return "string is not valid UTF-8";
    case HM_ERROR_TOO_BIG: return "data exceeds a size limit";
    case HM_ERROR_TRAILING: return "trailing bytes after the message";
    case HM_ERROR_DEPTH: return "value nested too deeply";
    case HM_ERROR_UNSORTED: return "object keys not in strictly increasing byte order";
    case HM_ERROR_JSON: return "invalid JSON text (or a duplicate key)";
    case HM_ERROR_NOMEM: return "out of memory";
    case HM_ERROR_MISUSE: return "SDK misuse (a required string is NULL, or Value items do not match their count)";
    case HM_ERROR_HOST_GONE: return "host function failed (hm stopped this call, or the host raised)";
    case HM_ERROR_HOST_MISSING: return "the host lacks this function";
    case HM_ERROR_PLUGIN: return "the plugin reported an error";
    case HM_ERROR_WRONG_THREAD:
      return "called from a thread that is not the call's thread (host functions may only be called on the thread "
             "that entered hm_plugin_call)";
  }
  return "unknown error";
}

/* ---- little-endian and UTF-8 ------------------------------------------------------------------ */

static uint32_t hm__get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t hm__get_u64(const uint8_t *p) {
  return (uint64_t)hm__get_u32(p) | (uint64_t)hm__get_u32(p + 4) << 32;
}

static void hm__put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void hm__put_u64(uint8_t *p, uint64_t v) {
  hm__put_u32(p, (uint32_t)v);
  hm__put_u32(p + 4, (uint32_t)(v >> 32));
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF (what Rust accepts). */
static int hm__utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    size_t need, k;
    uint32_t cp, min;
    if (c < 0x80) {
      i++;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      need = 1, cp = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      need = 2, cp = c & 0x0Fu, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      need = 3, cp = c & 0x07u, min = 0x10000;
    } else {
      return 0;
    }
    if (n - i <= need) return 0;
    for (k = 1; k <= need; k++) {
      uint8_t b = s[i + k];
      if ((b & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (b & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += need + 1;
  }
  return 1;
}

static int hm__is_scalar_value(uint32_t cp) { return cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF); }

/* ---- strings ---------------------------------------------------------------------------------- */

HM_DEF hm_str hm_cstr(const char *s) {
  hm_str out;
  out.ptr = s;
  out.len = s ? strlen(s) : 0;
  return out;
}

HM_DEF hm_str hm_bytes_str(hm_bytes b) {
  hm_str out;
  out.ptr = (const char *)b.ptr;
  out.len = b.ptr ? b.len : 0;
  return out;
}

HM_DEF int hm_str_eq(hm_str s, const char *cstr) {
  size_t n = cstr ? strlen(cstr) : 0;
  return s.ptr != NULL && cstr != NULL && s.len == n && memcmp(s.ptr, cstr, n) == 0;
}

HM_DEF int hm_str_starts_with(hm_str s, const char *prefix) {
  size_t n = prefix ? strlen(prefix) : 0;
  return s.ptr != NULL && prefix != NULL && s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

HM_DEF int hm_str_parse_i64(hm_str s, int64_t *out) {
  size_t i = 0;
  int negative = 0;
  uint64_t magnitude = 0, limit;
  if (!s.ptr || s.len == 0) return 0;
  if (s.ptr[0] == '+' || s.ptr[0] == '-') {
    negative = s.ptr[0] == '-';
    i = 1;
  }
  if (i == s.len) return 0;
  limit = negative ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
  for (; i < s.len; i++) {
    unsigned digit;
    if (s.ptr[i] < '0' || s.ptr[i] > '9') return 0;
    digit = (unsigned)(s.ptr[i] - '0');
    if (magnitude > (limit - digit) / 10) return 0;
    magnitude = magnitude * 10 + digit;
  }
  if (out) *out = negative ? (magnitude == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)magnitude)
                           : (int64_t)magnitude;
  return 1;
}

/* ---- reader ----------------------------------------------------------------------------------- */

static const uint8_t hm__empty[1] = {0};

HM_DEF void hm_reader_init(hm_reader *r, const void *data, size_t len) {
  HM_PLUGIN_ASSERT(r != NULL);
  HM_PLUGIN_ASSERT(data != NULL || len == 0);
  r->start = data ? (const uint8_t *)data : hm__empty;
  r->pos = r->start;
  r->end = r->start + (data ? len : 0);
  r->error = HM_ERROR_NONE;
  r->error_offset = 0;
  r->total = data ? len : 0;
}

HM_DEF void hm_reader_init_error(hm_reader *r, hm_error e) {
  hm_reader_init(r, NULL, 0);
  hm_reader_flag_error(r, e);
}

HM_DEF void hm_reader_flag_error(hm_reader *r, hm_error e) {
  if (r->error != HM_ERROR_NONE || e == HM_ERROR_NONE) return;
  r->error = e;
  r->error_offset = (size_t)(r->pos - r->start);
  r->end = r->pos; /* every later read fails at once */
}

HM_DEF hm_error hm_reader_error(const hm_reader *r) { return r->error; }

HM_DEF size_t hm_reader_remaining(const hm_reader *r) { return (size_t)(r->end - r->pos); }

HM_DEF int hm_reader_finish(hm_reader *r) {
  if (r->error == HM_ERROR_NONE && r->pos != r->end) hm_reader_flag_error(r, HM_ERROR_TRAILING);
  return r->error == HM_ERROR_NONE;
}

/* Returns the next n bytes and advances, or NULL (flagging HM_ERROR_TRUNCATED). */
static const uint8_t *hm__take(hm_reader *r, size_t n) {
  const uint8_t *p = r->pos;
  if (r->error != HM_ERROR_NONE) return NULL;
  if ((size_t)(r->end - r->pos) < n) {
    hm_reader_flag_error(r, HM_ERROR_TRUNCATED);
    return NULL;
  }
  r->pos += n;
  return p;
}

HM_DEF uint8_t hm_read_u8(hm_reader *r) {
  const uint8_t *p = hm__take(r, 1);
  return p ? p[0] : 0;
}

HM_DEF uint32_t hm_read_u32(hm_reader *r) {
  const uint8_t *p = hm__take(r, 4);
  return p ? hm__get_u32(p) : 0;
}

HM_DEF uint64_t hm_read_u64(hm_reader *r) {
  const uint8_t *p = hm__take(r, 8);
  return p ? hm__get_u64(p) : 0;
}

HM_DEF int32_t hm_read_i32(hm_reader *r) {
  uint32_t u = hm_read_u32(r);
  int32_t v;
  memcpy(&v, &u, sizeof v);
  return v;
}

HM_DEF int64_t hm_read_i64(hm_reader *r) {
  uint64_t u = hm_read_u64(r);
  int64_t v;
  memcpy(&v, &u, sizeof v);
  return v;
}

HM_DEF double hm_read_f64(hm_reader *r) {
  const uint8_t *at = r->pos;
  uint64_t u = hm_read_u64(r);
  double v;
  memcpy(&v, &u, sizeof v);
  if (v != v) { /* NaN */
    r->pos = at;
    hm_reader_flag_error(r, HM_ERROR_INVALID);
    return 0;
  }
  return r->error == HM_ERROR_NONE ? v : 0;
}

HM_DEF uint8_t hm_read_enum(hm_reader *r, uint8_t variant_count) {
  const uint8_t *at = r->pos;
  uint8_t v = hm_read_u8(r);
  if (r->error == HM_ERROR_NONE && v >= variant_count) {
    r->pos = at;
    hm_reader_flag_error(r, HM_ERROR_INVALID);
    return 0;
  }
  return v;
}

HM_DEF int hm_read_bool(hm_reader *r) { return hm_read_enum(r, 2); }

HM_DEF int hm_read_option(hm_reader *r) { return hm_read_enum(r, 2); }

HM_DEF uint32_t hm_read_len_max(hm_reader *r, size_t min_item_size, uint32_t max) {
  const uint8_t *at = r->pos;
  uint32_t count = hm_read_u32(r);
  if (r->error != HM_ERROR_NONE) return 0;
  if (min_item_size == 0) min_item_size = 1;
  if (count > max) {
    r->pos = at;
    hm_reader_flag_error(r, HM_ERROR_TOO_BIG);
    return 0;
  }
  if (count > hm_reader_remaining(r) / min_item_size) {
    r->pos = at;
    hm_reader_flag_error(r, HM_ERROR_TRUNCATED);
    return 0;
  }
  return count;
}

HM_DEF uint32_t hm_read_len(hm_reader *r, size_t min_item_size) {
  return hm_read_len_max(r, min_item_size, UINT32_MAX);
}

HM_DEF int hm_read_bytes(hm_reader *r, void *dst, size_t n) {
  const uint8_t *p = hm__take(r, n);
  if (n == 0) return p != NULL;
  if (p)
    memcpy(dst, p, n);
  else
    memset(dst, 0, n);
  return p != NULL;
}

HM_DEF int hm_read_uuid(hm_reader *r, uint8_t out[16]) { return hm_read_bytes(r, out, 16); }

HM_DEF const uint8_t *hm_read_bytes_inplace(hm_reader *r, size_t n) { return hm__take(r, n); }

HM_DEF hm_str hm_read_str_ref_max(hm_reader *r, size_t max) {
  hm_str out = {"", 0};
  const uint8_t *at = r->pos;
  uint32_t len = hm_read_u32(r);
  const uint8_t *p;
  if (r->error != HM_ERROR_NONE) return out;
  if (len > max) {
    r->pos = at;
    hm_reader_flag_error(r, HM_ERROR_TOO_BIG);
    return out;
  }
  p = hm__take(r, len);
  if (!p) return out;
  if (!hm__utf8_valid(p, len)) {
    r->pos = at;
    hm_reader_flag_error(r, HM_ERROR_UTF8);
    return out;
  }
  out.ptr = (const char *)p;
  out.len = len;
  return out;
}

HM_DEF hm_str hm_read_str_ref(hm_reader *r) { return hm_read_str_ref_max(r, SIZE_MAX); }

HM_DEF hm_str hm_read_opt_str_ref(hm_reader *r) {
  hm_str none = {NULL, 0};
  return hm_read_option(r) ? hm_read_str_ref(r) : none;
}

HM_DEF int hm_read_str_copy(hm_reader *r, char *buf, size_t cap) {
  hm_str s;
  HM_PLUGIN_ASSERT(buf != NULL && cap > 0);
  s = hm_read_str_ref_max(r, cap - 1);
  memcpy(buf, s.ptr, s.len);
  buf[s.len] = '\0';
  return r->error == HM_ERROR_NONE;
}

HM_DEF hm_str_map hm_read_str_map(hm_reader *r) {
  hm_str_map map = {NULL, 0, 0};
  uint32_t count = hm_read_len(r, 8), i;
  const uint8_t *first = r->pos;
  for (i = 0; i < count && r->error == HM_ERROR_NONE; i++) {
    hm_read_str_ref(r);
    hm_read_str_ref(r);
  }
  if (r->error != HM_ERROR_NONE) return map;
  map.ptr = first;
  map.len = (size_t)(r->pos - first);
  map.count = count;
  return map;
}

HM_DEF hm_str_list hm_read_str_list(hm_reader *r) {
  hm_str_list list = {NULL, 0, 0};
  uint32_t count = hm_read_len(r, 4), i;
  const uint8_t *first = r->pos;
  for (i = 0; i < count && r->error == HM_ERROR_NONE; i++) hm_read_str_ref(r);
  if (r->error != HM_ERROR_NONE) return list;
  list.ptr = first;
  list.len = (size_t)(r->pos - first);
  list.count = count;
  return list;
}

static hm_iter hm__iter(const uint8_t *ptr, size_t len, uint32_t count) {
  hm_iter it;
  it.pos = ptr;
  it.end = ptr ? ptr + len : NULL;
  it.left = ptr ? count : 0;
  return it;
}

/* Collections were validated when decoded; the iterators still read through a bounded reader, so
   a hand-made collection can end an iteration early but never read out of bounds. */
static hm_reader hm__iter_reader(const hm_iter *it) {
  hm_reader r;
  hm_reader_init(&r, it->pos, (size_t)(it->end - it->pos));
  return r;
}

/* Moves `it` past the item just read with `r`; on a read error the iteration ends. */
static int hm__iter_advance(hm_iter *it, const hm_reader *r) {
  if (r->error != HM_ERROR_NONE) {
    it->left = 0;
    return 0;
  }
  it->pos = r->pos;
  it->left--;
  return 1;
}

HM_DEF hm_iter hm_str_map_iter(hm_str_map map) { return hm__iter(map.ptr, map.len, map.count); }

HM_DEF int hm_str_map_next(hm_iter *it, hm_str *key, hm_str *value) {
  hm_reader r;
  hm_str k, v;
  if (it->left == 0) return 0;
  r = hm__iter_reader(it);
  k = hm_read_str_ref(&r);
  v = hm_read_str_ref(&r);
  if (!hm__iter_advance(it, &r)) return 0;
  if (key) *key = k;
  if (value) *value = v;
  return 1;
}

HM_DEF int hm_str_map_get(hm_str_map map, const char *key, hm_str *value) {
  hm_iter it = hm_str_map_iter(map);
  hm_str k, v;
  int found = 0;
  while (hm_str_map_next(&it, &k, &v)) {
    if (hm_str_eq(k, key)) {
      if (value) *value = v;
      found = 1;
    }
  }
  return found;
}

HM_DEF hm_iter hm_str_list_iter(hm_str_list list) { return hm__iter(list.ptr, list.len, list.count); }

HM_DEF int hm_str_list_next(hm_iter *it, hm_str *item) {
  hm_reader r;
  hm_str s;
  if (it->left == 0) return 0;
  r = hm__iter_reader(it);
  s = hm_read_str_ref(&r);
  if (!hm__iter_advance(it, &r)) return 0;
  if (item) *item = s;
  return 1;
}

/* ---- Value: reading --------------------------------------------------------------------------- */

static void hm__skip_value(hm_reader *r, int depth) {
  uint32_t count, i;
  if (depth > HM_PLUGIN_VALUE_MAX_DEPTH) {
    hm_reader_flag_error(r, HM_ERROR_DEPTH);
    return;
  }
  switch (hm_read_enum(r, 7)) {
    case HM_VALUE_NULL: break;
    case HM_VALUE_BOOL: hm_read_bool(r); break;
    case HM_VALUE_INT: hm__take(r, 8); break;
    case HM_VALUE_FLOAT: hm_read_f64(r); break;
    case HM_VALUE_STR: hm_read_str_ref(r); break;
    case HM_VALUE_ARRAY:
      count = hm_read_len(r, 1);
      for (i = 0; i < count && r->error == HM_ERROR_NONE; i++) hm__skip_value(r, depth + 1);
      break;
    case HM_VALUE_OBJECT:
      count = hm_read_len(r, 5);
      for (i = 0; i < count && r->error == HM_ERROR_NONE; i++) {
        hm_read_str_ref(r);
        hm__skip_value(r, depth + 1);
      }
      break;
    default: break; /* hm_read_enum flagged it */
  }
}

HM_DEF hm_value hm_read_value(hm_reader *r) {
  hm_value v = {NULL, 0};
  const uint8_t *first = r->pos;
  hm__skip_value(r, 1);
  if (r->error != HM_ERROR_NONE) return v;
  v.ptr = first;
  v.len = (size_t)(r->pos - first);
  return v;
}

HM_DEF hm_value hm_read_opt_value(hm_reader *r) {
  hm_value none = {NULL, 0};
  return hm_read_option(r) ? hm_read_value(r) : none;
}

HM_DEF hm_value_kind hm_value_kind_of(hm_value v) {
  if (!v.ptr || v.len == 0 || v.ptr[0] > HM_VALUE_OBJECT) return HM_VALUE_ABSENT;
  return (hm_value_kind)v.ptr[0];
}

/* A reader positioned after the tag of v, when v has `kind`. */
static int hm__value_body(hm_value v, hm_value_kind kind, hm_reader *r) {
  if (hm_value_kind_of(v) != kind) return 0;
  hm_reader_init(r, v.ptr + 1, v.len - 1);
  return 1;
}

HM_DEF int hm_value_as_bool(hm_value v, int *out) {
  hm_reader r;
  int b;
  if (!hm__value_body(v, HM_VALUE_BOOL, &r)) return 0;
  b = hm_read_bool(&r);
  if (r.error != HM_ERROR_NONE) return 0;
  if (out) *out = b;
  return 1;
}

HM_DEF int hm_value_as_int(hm_value v, int64_t *out) {
  hm_reader r;
  int64_t i;
  double d;
  if (hm__value_body(v, HM_VALUE_INT, &r)) {
    i = hm_read_i64(&r);
  } else if (hm__value_body(v, HM_VALUE_FLOAT, &r)) {
    d = hm_read_f64(&r);
    /* exactly representable integers in [-2^63, 2^63) only */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != (double)(int64_t)d) return 0;
    i = (int64_t)d;
  } else {
    return 0;
  }
  if (r.error != HM_ERROR_NONE) return 0;
  if (out) *out = i;
  return 1;
}

HM_DEF int hm_value_as_float(hm_value v, double *out) {
  hm_reader r;
  double d;
  if (hm__value_body(v, HM_VALUE_FLOAT, &r))
    d = hm_read_f64(&r);
  else if (hm__value_body(v, HM_VALUE_INT, &r))
    d = (double)hm_read_i64(&r);
  else
    return 0;
  if (r.error != HM_ERROR_NONE) return 0;
  if (out) *out = d;
  return 1;
}

HM_DEF int hm_value_as_str(hm_value v, hm_str *out) {
  hm_reader r;
  hm_str s;
  if (!hm__value_body(v, HM_VALUE_STR, &r)) return 0;
  s = hm_read_str_ref(&r);
  if (r.error != HM_ERROR_NONE) return 0;
  if (out) *out = s;
  return 1;
}

HM_DEF uint32_t hm_value_count(hm_value v) {
  hm_value_kind kind = hm_value_kind_of(v);
  if ((kind != HM_VALUE_ARRAY && kind != HM_VALUE_OBJECT) || v.len < 5) return 0;
  return hm__get_u32(v.ptr + 1);
}

HM_DEF hm_iter hm_value_iter(hm_value v) {
  uint32_t count = hm_value_count(v);
  if (count == 0) return hm__iter(NULL, 0, 0);
  return hm__iter(v.ptr + 5, v.len - 5, count);
}

HM_DEF int hm_value_array_next(hm_iter *it, hm_value *item) {
  hm_reader r;
  hm_value v;
  if (it->left == 0) return 0;
  r = hm__iter_reader(it);
  v = hm_read_value(&r);
  if (!hm__iter_advance(it, &r)) return 0;
  if (item) *item = v;
  return 1;
}

HM_DEF int hm_value_object_next(hm_iter *it, hm_str *key, hm_value *value) {
  hm_reader r;
  hm_str k;
  hm_value v;
  if (it->left == 0) return 0;
  r = hm__iter_reader(it);
  k = hm_read_str_ref(&r);
  v = hm_read_value(&r);
  if (!hm__iter_advance(it, &r)) return 0;
  if (key) *key = k;
  if (value) *value = v;
  return 1;
}

HM_DEF int hm_value_get(hm_value v, const char *key, hm_value *out) {
  hm_iter it;
  hm_str k;
  hm_value item;
  int found = 0;
  if (hm_value_kind_of(v) != HM_VALUE_OBJECT) return 0;
  it = hm_value_iter(v);
  while (hm_value_object_next(&it, &k, &item)) {
    if (hm_str_eq(k, key)) {
      if (out) *out = item;
      found = 1;
    }
  }
  return found;
}

HM_DEF int hm_value_get_str(hm_value v, const char *key, hm_str *out) {
  hm_value item;
  return hm_value_get(v, key, &item) && hm_value_as_str(item, out);
}

HM_DEF int hm_value_get_int(hm_value v, const char *key, int64_t *out) {
  hm_value item;
  return hm_value_get(v, key, &item) && hm_value_as_int(item, out);
}

HM_DEF int hm_value_get_bool(hm_value v, const char *key, int *out) {
  hm_value item;
  return hm_value_get(v, key, &item) && hm_value_as_bool(item, out);
}

/* ---- writer ----------------------------------------------------------------------------------- */

/* An open Value array or object: items still expected, and for objects the previous key (as an
   offset into the output, which stays valid when the buffer moves). */
struct hm__value_frame {
  uint32_t left;
  int is_object;
  int want_key;
  int has_key;
  size_t key_off;
  size_t key_len;
};

HM_DEF void hm_writer_init(hm_writer *w) {
  HM_PLUGIN_ASSERT(w != NULL);
  memset(w, 0, sizeof *w);
  w->growable = 1;
}

HM_DEF void hm_writer_init_fixed(hm_writer *w, void *buf, size_t cap) {
  HM_PLUGIN_ASSERT(w != NULL && (buf != NULL || cap == 0));
  memset(w, 0, sizeof *w);
  w->data = (uint8_t *)buf;
  w->cap = buf ? cap : 0;
}

HM_DEF void hm_writer_init_error(hm_writer *w, hm_error e) {
  hm_writer_init_fixed(w, NULL, 0);
  hm_writer_flag_error(w, e);
}

HM_DEF void hm_writer_flag_error(hm_writer *w, hm_error e) {
  if (w->error == HM_ERROR_NONE) w->error = e;
}

HM_DEF hm_error hm_writer_error(const hm_writer *w) { return w->error; }

HM_DEF int hm_writer_finish(hm_writer *w, const uint8_t **out, size_t *out_len) {
  if (w->error == HM_ERROR_NONE && w->depth != 0) hm_writer_flag_error(w, HM_ERROR_MISUSE);
  if (out) *out = w->error == HM_ERROR_NONE ? (w->data ? w->data : hm__empty) : NULL;
  if (out_len) *out_len = w->error == HM_ERROR_NONE ? w->len : 0;
  return w->error == HM_ERROR_NONE;
}

HM_DEF void hm_writer_destroy(hm_writer *w) {
  if (w->growable && w->data) HM_PLUGIN_FREE(w->data);
  if (w->frames) HM_PLUGIN_FREE(w->frames);
  w->data = NULL;
  w->frames = NULL;
  w->len = w->cap = 0;
  w->depth = w->frame_cap = 0;
}

static int hm__reserve(hm_writer *w, size_t n) {
  size_t cap;
  uint8_t *grown;
  if (w->error != HM_ERROR_NONE) return 0;
  if (w->cap - w->len >= n) return 1;
  if (!w->growable) {
    hm_writer_flag_error(w, HM_ERROR_TOO_BIG);
    return 0;
  }
  cap = w->cap ? w->cap : 128;
  while (cap - w->len < n) {
    if (cap > SIZE_MAX / 2) {
      hm_writer_flag_error(w, HM_ERROR_NOMEM);
      return 0;
    }
    cap *= 2;
  }
  grown = (uint8_t *)HM_PLUGIN_REALLOC(w->data, cap);
  if (!grown) {
    hm_writer_flag_error(w, HM_ERROR_NOMEM);
    return 0;
  }
  w->data = grown;
  w->cap = cap;
  return 1;
}

/* Appends raw bytes with no Value bookkeeping (the building block of every write). */
static int hm__put(hm_writer *w, const void *bytes, size_t n) {
  if (!hm__reserve(w, n)) return 0;
  if (n) memcpy(w->data + w->len, bytes, n);
  w->len += n;
  return 1;
}

static int hm__put_u8(hm_writer *w, uint8_t v) { return hm__put(w, &v, 1); }

static int hm__put_u32v(hm_writer *w, uint32_t v) {
  uint8_t b[4];
  hm__put_u32(b, v);
  return hm__put(w, b, 4);
}

static int hm__put_u64v(hm_writer *w, uint64_t v) {
  uint8_t b[8];
  hm__put_u64(b, v);
  return hm__put(w, b, 8);
}

static int hm__put_str(hm_writer *w, const char *s, size_t len) {
  if (w->error != HM_ERROR_NONE) return 0;
  if (!s) {
    hm_writer_flag_error(w, HM_ERROR_MISUSE);
    return 0;
  }
  if (len > UINT32_MAX) {
    hm_writer_flag_error(w, HM_ERROR_TOO_BIG);
    return 0;
  }
  if (!hm__utf8_valid((const uint8_t *)s, len)) {
    hm_writer_flag_error(w, HM_ERROR_UTF8);
    return 0;
  }
  return hm__put_u32v(w, (uint32_t)len) && hm__put(w, s, len);
}

/* Primitive writes are for struct fields: inside an open Value they would break its item count. */
static int hm__primitive_ok(hm_writer *w) {
  if (w->error == HM_ERROR_NONE && w->depth != 0) hm_writer_flag_error(w, HM_ERROR_MISUSE);
  return w->error == HM_ERROR_NONE;
}

HM_DEF int hm_write_u8(hm_writer *w, uint8_t v) { return hm__primitive_ok(w) && hm__put_u8(w, v); }
HM_DEF int hm_write_u32(hm_writer *w, uint32_t v) { return hm__primitive_ok(w) && hm__put_u32v(w, v); }
HM_DEF int hm_write_u64(hm_writer *w, uint64_t v) { return hm__primitive_ok(w) && hm__put_u64v(w, v); }
HM_DEF int hm_write_i32(hm_writer *w, int32_t v) { return hm_write_u32(w, (uint32_t)v); }
HM_DEF int hm_write_i64(hm_writer *w, int64_t v) { return hm_write_u64(w, (uint64_t)v); }

static int hm__put_f64(hm_writer *w, double v) {
  uint64_t u;
  if (v != v) {
    hm_writer_flag_error(w, HM_ERROR_INVALID);
    return 0;
  }
  memcpy(&u, &v, sizeof u);
  return hm__put_u64v(w, u);
}

HM_DEF int hm_write_f64(hm_writer *w, double v) { return hm__primitive_ok(w) && hm__put_f64(w, v); }
HM_DEF int hm_write_bool(hm_writer *w, int v) { return hm_write_u8(w, v ? 1 : 0); }
HM_DEF int hm_write_enum(hm_writer *w, uint8_t variant) { return hm_write_u8(w, variant); }
HM_DEF int hm_write_option(hm_writer *w, int present) { return hm_write_u8(w, present ? 1 : 0); }

HM_DEF int hm_write_len(hm_writer *w, size_t count) {
  if (count > UINT32_MAX) {
    hm_writer_flag_error(w, HM_ERROR_TOO_BIG);
    return 0;
  }
  return hm_write_u32(w, (uint32_t)count);
}

HM_DEF int hm_write_char(hm_writer *w, uint32_t code_point) {
  if (!hm__is_scalar_value(code_point)) {
    hm_writer_flag_error(w, HM_ERROR_INVALID);
    return 0;
  }
  return hm_write_u32(w, code_point);
}

HM_DEF int hm_write_bytes(hm_writer *w, const void *bytes, size_t n) {
  if (n && !bytes) {
    hm_writer_flag_error(w, HM_ERROR_MISUSE);
    return 0;
  }
  return hm__primitive_ok(w) && hm__put(w, bytes, n);
}

HM_DEF int hm_write_uuid(hm_writer *w, const uint8_t uuid[16]) { return hm_write_bytes(w, uuid, 16); }

HM_DEF int hm_write_str_n(hm_writer *w, const char *s, size_t len) {
  return hm__primitive_ok(w) && hm__put_str(w, s, len);
}

HM_DEF int hm_write_str(hm_writer *w, const char *s) { return hm_write_str_n(w, s, s ? strlen(s) : 0); }
HM_DEF int hm_write_str_ref(hm_writer *w, hm_str s) { return hm_write_str_n(w, s.ptr, s.len); }

HM_DEF int hm_write_opt_str(hm_writer *w, const char *s) {
  return hm_write_option(w, s != NULL) && (s == NULL || hm_write_str(w, s));
}

HM_DEF int hm_write_opt_str_ref(hm_writer *w, hm_str s) {
  return hm_write_option(w, s.ptr != NULL) && (s.ptr == NULL || hm_write_str_ref(w, s));
}

/* ---- Value: writing --------------------------------------------------------------------------- */

/* Called before each value: is a value allowed here? */
static int hm__value_begin(hm_writer *w) {
  hm__value_frame *top;
  if (w->error != HM_ERROR_NONE) return 0;
  if (w->depth == 0) return 1;
  if (w->depth >= HM_PLUGIN_VALUE_MAX_DEPTH) { /* the reader refuses values this deep */
    hm_writer_flag_error(w, HM_ERROR_DEPTH);
    return 0;
  }
  top = &w->frames[w->depth - 1];
  if (top->left == 0 || (top->is_object && top->want_key)) {
    hm_writer_flag_error(w, HM_ERROR_MISUSE);
    return 0;
  }
  return 1;
}

/* Called after a value is complete: count it, closing every container it completes. */
static int hm__value_done(hm_writer *w) {
  while (w->error == HM_ERROR_NONE && w->depth > 0) {
    hm__value_frame *top = &w->frames[w->depth - 1];
    top->left--;
    top->want_key = top->is_object;
    if (top->left != 0) break;
    w->depth--; /* the container itself is now a complete value of its parent */
  }
  return w->error == HM_ERROR_NONE;
}

static int hm__value_open(hm_writer *w, uint8_t tag, uint32_t count) {
  hm__value_frame *frame;
  if (!hm__value_begin(w) || !hm__put_u8(w, tag) || !hm__put_u32v(w, count)) return 0;
  if (count == 0) return hm__value_done(w);
  if (w->depth == w->frame_cap) {
    int cap = w->frame_cap ? w->frame_cap * 2 : 8;
    hm__value_frame *grown = (hm__value_frame *)HM_PLUGIN_REALLOC(w->frames, (size_t)cap * sizeof *grown);
    if (!grown) {
      hm_writer_flag_error(w, HM_ERROR_NOMEM);
      return 0;
    }
    w->frames = grown;
    w->frame_cap = cap;
  }
  frame = &w->frames[w->depth++];
  frame->left = count;
  frame->is_object = tag == HM_VALUE_OBJECT;
  frame->want_key = frame->is_object;
  frame->has_key = 0;
  frame->key_off = frame->key_len = 0;
  return 1;
}

HM_DEF int hm_write_value_null(hm_writer *w) {
  return hm__value_begin(w) && hm__put_u8(w, HM_VALUE_NULL) && hm__value_done(w);
}

HM_DEF int hm_write_value_bool(hm_writer *w, int v) {
  return hm__value_begin(w) && hm__put_u8(w, HM_VALUE_BOOL) && hm__put_u8(w, v ? 1 : 0) && hm__value_done(w);
}

HM_DEF int hm_write_value_int(hm_writer *w, int64_t v) {
  return hm__value_begin(w) && hm__put_u8(w, HM_VALUE_INT) && hm__put_u64v(w, (uint64_t)v) && hm__value_done(w);
}

HM_DEF int hm_write_value_float(hm_writer *w, double v) {
  return hm__value_begin(w) && hm__put_u8(w, HM_VALUE_FLOAT) && hm__put_f64(w, v) && hm__value_done(w);
}

HM_DEF int hm_write_value_str_n(hm_writer *w, const char *s, size_t len) {
  return hm__value_begin(w) && hm__put_u8(w, HM_VALUE_STR) && hm__put_str(w, s, len) && hm__value_done(w);
}

HM_DEF int hm_write_value_str(hm_writer *w, const char *s) { return hm_write_value_str_n(w, s, s ? strlen(s) : 0); }

HM_DEF int hm_write_value_array(hm_writer *w, uint32_t count) { return hm__value_open(w, HM_VALUE_ARRAY, count); }

HM_DEF int hm_write_value_object(hm_writer *w, uint32_t count) { return hm__value_open(w, HM_VALUE_OBJECT, count); }

HM_DEF int hm_write_value_key_n(hm_writer *w, const char *key, size_t len) {
  hm__value_frame *top;
  if (w->error != HM_ERROR_NONE) return 0;
  top = w->depth ? &w->frames[w->depth - 1] : NULL;
  if (!top || !top->is_object || !top->want_key || !key) {
    hm_writer_flag_error(w, HM_ERROR_MISUSE);
    return 0;
  }
  if (top->has_key) {
    size_t common = top->key_len < len ? top->key_len : len;
    int cmp = memcmp(w->data + top->key_off, key, common);
    if (cmp > 0 || (cmp == 0 && top->key_len >= len)) {
      hm_writer_flag_error(w, HM_ERROR_UNSORTED);
      return 0;
    }
  }
  if (!hm__put_str(w, key, len)) return 0;
  top->has_key = 1;
  top->key_off = w->len - len;
  top->key_len = len;
  top->want_key = 0;
  return 1;
}

HM_DEF int hm_write_value_key(hm_writer *w, const char *key) {
  return hm_write_value_key_n(w, key, key ? strlen(key) : 0);
}

HM_DEF int hm_write_value_raw(hm_writer *w, hm_value v) {
  hm_reader r;
  if (!hm__value_begin(w)) return 0;
  if (!v.ptr) {
    hm_writer_flag_error(w, HM_ERROR_MISUSE);
    return 0;
  }
  hm_reader_init(&r, v.ptr, v.len);
  hm_read_value(&r);
  if (!hm_reader_finish(&r)) {
    hm_writer_flag_error(w, r.error == HM_ERROR_TRAILING ? HM_ERROR_MISUSE : r.error);
    return 0;
  }
  return hm__put(w, v.ptr, v.len) && hm__value_done(w);
}

/* ---- Value: JSON text ------------------------------------------------------------------------- */

typedef struct hm__json {
  const char *p;
  int ok;
} hm__json;

/* One parsed member of a JSON object: its unescaped key and its value as borsh. */
typedef struct hm__json_member {
  hm_writer key;
  hm_writer value;
} hm__json_member;

static void hm__json_value(hm__json *j, hm_writer *w, int depth);

static void hm__json_ws(hm__json *j) {
  while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') j->p++;
}

static int hm__json_hex4(const char *p, uint32_t *out) {
  uint32_t v = 0;
  int i;
  for (i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t)(c - 'A' + 10);
    else
      return 0;
  }
  *out = v;
  return 1;
}

static void hm__utf8_put(hm_writer *w, uint32_t cp) {
  uint8_t b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (uint8_t)cp, n = 1;
  } else if (cp < 0x800) {
    b[0] = (uint8_t)(0xC0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
  } else if (cp < 0x10000) {
    b[0] = (uint8_t)(0xE0 | cp >> 12), b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    b[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
  } else {
    b[0] = (uint8_t)(0xF0 | cp >> 18), b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F)), b[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
  }
  hm__put(w, b, n);
}

/* Parses a JSON string literal (j->p at the opening quote) into `out` as raw UTF-8 bytes. */
static void hm__json_string(hm__json *j, hm_writer *out) {
  const char *run;
  j->p++;
  run = j->p;
  for (;;) {
    unsigned char c = (unsigned char)*j->p;
    if (c == '"' || c == '\\' || c < 0x20) {
      hm__put(out, run, (size_t)(j->p - run));
      if (c == '"') {
        j->p++;
        break;
      }
      if (c != '\\') { /* control character or end of text */
        j->ok = 0;
        return;
      }
      j->p++;
      switch (*j->p) {
        case '"': hm__put_u8(out, '"'); break;
        case '\\': hm__put_u8(out, '\\'); break;
        case '/': hm__put_u8(out, '/'); break;
        case 'b': hm__put_u8(out, '\b'); break;
        case 'f': hm__put_u8(out, '\f'); break;
        case 'n': hm__put_u8(out, '\n'); break;
        case 'r': hm__put_u8(out, '\r'); break;
        case 't': hm__put_u8(out, '\t'); break;
        case 'u': {
          uint32_t cp, low;
          if (!hm__json_hex4(j->p + 1, &cp)) {
            j->ok = 0;
            return;
          }
          j->p += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair */
            if (j->p[1] != '\\' || j->p[2] != 'u' || !hm__json_hex4(j->p + 3, &low) || low < 0xDC00 ||
                low > 0xDFFF) {
              j->ok = 0;
              return;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            j->p += 6;
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            j->ok = 0;
            return;
          }
          hm__utf8_put(out, cp);
          break;
        }
        default: j->ok = 0; return;
      }
      j->p++;
      run = j->p;
    } else {
      j->p++;
    }
  }
  if (!hm__utf8_valid(out->data ? out->data : hm__empty, out->len)) j->ok = 0;
}

static void hm__json_number(hm__json *j, hm_writer *w) {
  const char *start = j->p;
  int is_float = 0, negative = 0;
  uint64_t magnitude = 0, limit;
  int overflow = 0;
  if (*j->p == '-') negative = 1, j->p++;
  limit = negative ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
  if (*j->p == '0') {
    j->p++;
  } else if (*j->p >= '1' && *j->p <= '9') {
    while (*j->p >= '0' && *j->p <= '9') {
      unsigned digit = (unsigned)(*j->p - '0');
      if (magnitude > (limit - digit) / 10)
        overflow = 1;
      else
        magnitude = magnitude * 10 + digit;
      j->p++;
    }
  } else {
    j->ok = 0;
    return;
  }
  if (*j->p == '.') {
    is_float = 1, j->p++;
    if (*j->p < '0' || *j->p > '9') {
      j->ok = 0;
      return;
    }
    while (*j->p >= '0' && *j->p <= '9') j->p++;
  }
  if (*j->p == 'e' || *j->p == 'E') {
    is_float = 1, j->p++;
    if (*j->p == '+' || *j->p == '-') j->p++;
    if (*j->p < '0' || *j->p > '9') {
      j->ok = 0;
      return;
    }
    while (*j->p >= '0' && *j->p <= '9') j->p++;
  }
  if (!is_float && !overflow) {
    int64_t v = negative ? (magnitude == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)magnitude)
                         : (int64_t)magnitude;
    hm_write_value_int(w, v);
    return;
  }
  {
    /* strtod reads the C locale's decimal point; swap '.' for the current one. */
    char buf[128], point = localeconv()->decimal_point[0];
    size_t n = (size_t)(j->p - start), i;
    double d;
    char *end;
    if (n >= sizeof buf) {
      j->ok = 0;
      return;
    }
    for (i = 0; i < n; i++) buf[i] = start[i] == '.' ? point : start[i];
    buf[n] = '\0';
    d = strtod(buf, &end);
    if (end != buf + n || d - d != 0) { /* rejects overflow to infinity */
      j->ok = 0;
      return;
    }
    hm_write_value_float(w, d);
  }
}

static int hm__json_literal(hm__json *j, const char *word) {
  size_t n = strlen(word);
  if (strncmp(j->p, word, n) != 0) return 0;
  j->p += n;
  return 1;
}

static int hm__json_member_cmp(const void *a, const void *b) {
  const hm_writer *ka = &((const hm__json_member *)a)->key, *kb = &((const hm__json_member *)b)->key;
  size_t common = ka->len < kb->len ? ka->len : kb->len;
  int cmp = common ? memcmp(ka->data, kb->data, common) : 0;
  if (cmp != 0) return cmp;
  return ka->len < kb->len ? -1 : ka->len > kb->len ? 1 : 0;
}

/* Arrays and objects: each item is parsed into its own writer (objects must be sorted, and both
   need their count before the items), then copied into w. */
static void hm__json_container(hm__json *j, hm_writer *w, int depth, int is_object) {
  hm__json_member *items = NULL, *grown;
  size_t count = 0, cap = 0, i;
  char close = is_object ? '}' : ']';
  j->p++;
  hm__json_ws(j);
  if (*j->p == close) {
    j->p++;
  } else {
    for (;;) {
      if (count == cap) {
        cap = cap ? cap * 2 : 4;
        grown = (hm__json_member *)HM_PLUGIN_REALLOC(items, cap * sizeof *items);
        if (!grown) {
          hm_writer_flag_error(w, HM_ERROR_NOMEM);
          break;
        }
        items = grown;
      }
      hm_writer_init(&items[count].key);
      hm_writer_init(&items[count].value);
      count++;
      hm__json_ws(j);
      if (is_object) {
        if (*j->p != '"') {
          j->ok = 0;
          break;
        }
        hm__json_string(j, &items[count - 1].key);
        hm__json_ws(j);
        if (!j->ok || *j->p != ':') {
          j->ok = 0;
          break;
        }
        j->p++;
      }
      hm__json_value(j, &items[count - 1].value, depth + 1);
      if (!j->ok || items[count - 1].value.error != HM_ERROR_NONE) break;
      hm__json_ws(j);
      if (*j->p == ',') {
        j->p++;
        continue;
      }
      if (*j->p == close) {
        j->p++;
        break;
      }
      j->ok = 0;
      break;
    }
  }
  for (i = 0; i < count; i++) { /* an item's writer error (depth, memory) outranks "invalid JSON" */
    hm_error e = items[i].key.error != HM_ERROR_NONE ? items[i].key.error : items[i].value.error;
    if (e != HM_ERROR_NONE) {
      hm_writer_flag_error(w, e);
      j->ok = 0;
    }
  }
  if (j->ok && is_object && count > 1) {
    qsort(items, count, sizeof *items, hm__json_member_cmp);
    for (i = 1; i < count; i++)
      if (hm__json_member_cmp(&items[i - 1], &items[i]) == 0) j->ok = 0;
  }
  if (j->ok && count > UINT32_MAX) hm_writer_flag_error(w, HM_ERROR_TOO_BIG);
  if (j->ok) {
    if (is_object)
      hm_write_value_object(w, (uint32_t)count);
    else
      hm_write_value_array(w, (uint32_t)count);
    for (i = 0; i < count; i++) {
      hm_value v;
      v.ptr = items[i].value.data;
      v.len = items[i].value.len;
      if (is_object)
        hm_write_value_key_n(w, (const char *)(items[i].key.data ? items[i].key.data : hm__empty),
                             items[i].key.len);
      hm_write_value_raw(w, v);
    }
  }
  for (i = 0; i < count; i++) {
    hm_writer_destroy(&items[i].key);
    hm_writer_destroy(&items[i].value);
  }
  HM_PLUGIN_FREE(items);
}

static void hm__json_value(hm__json *j, hm_writer *w, int depth) {
  if (!j->ok || w->error != HM_ERROR_NONE) return;
  if (depth > HM_PLUGIN_VALUE_MAX_DEPTH) {
    hm_writer_flag_error(w, HM_ERROR_DEPTH);
    return;
  }
  hm__json_ws(j);
  switch (*j->p) {
    case '{': hm__json_container(j, w, depth, 1); break;
    case '[': hm__json_container(j, w, depth, 0); break;
    case '"': {
      hm_writer s;
      hm_writer_init(&s);
      hm__json_string(j, &s);
      if (s.error != HM_ERROR_NONE)
        hm_writer_flag_error(w, s.error);
      else if (j->ok)
        hm_write_value_str_n(w, (const char *)(s.data ? s.data : hm__empty), s.len);
      hm_writer_destroy(&s);
      break;
    }
    case 't':
      if (hm__json_literal(j, "true")) hm_write_value_bool(w, 1); else j->ok = 0;
      break;
    case 'f':
      if (hm__json_literal(j, "false")) hm_write_value_bool(w, 0); else j->ok = 0;
      break;
    case 'n':
      if (hm__json_literal(j, "null")) hm_write_value_null(w); else j->ok = 0;
      break;
    default: hm__json_number(j, w); break;
  }
}

HM_DEF int hm_write_value_json(hm_writer *w, const char *json) {
  hm__json j;
  if (!hm__value_begin(w)) return 0;
  if (!json) {
    hm_writer_flag_error(w, HM_ERROR_MISUSE);
    return 0;
  }
  j.p = json;
  j.ok = 1;
  hm__json_value(&j, w, 1);
  hm__json_ws(&j);
  if (j.ok && *j.p != '\0') j.ok = 0;
  if (!j.ok) hm_writer_flag_error(w, HM_ERROR_JSON);
  return w->error == HM_ERROR_NONE;
}

/* ---- messages: names -------------------------------------------------------------------------- */

static const char *const hm__event_names[] = {"build_start", "step_queued",  "step_start",
                                              "step_log",    "step_cache_hit", "step_end",
                                              "chain_failed", "build_end",    "step_logs"};

HM_DEF const char *hm_event_kind_name(hm_event_kind kind) {
  return (int)kind >= 0 && (int)kind <= HM_EVENT_STEP_LOGS ? hm__event_names[kind] : NULL;
}

HM_DEF hm_hook_kind hm_hook_kind_of(hm_event_kind kind) {
  switch (kind) {
    case HM_EVENT_BUILD_START: return HM_HOOK_BUILD_START;
    case HM_EVENT_STEP_QUEUED: return HM_HOOK_STEP_QUEUED;
    case HM_EVENT_STEP_START: return HM_HOOK_STEP_START;
    case HM_EVENT_STEP_LOG: return HM_HOOK_STEP_LOG;
    case HM_EVENT_STEP_CACHE_HIT: return HM_HOOK_STEP_CACHE_HIT;
    case HM_EVENT_STEP_END: return HM_HOOK_STEP_END;
    case HM_EVENT_BUILD_END: return HM_HOOK_BUILD_END;
    case HM_EVENT_STEP_LOGS: return HM_HOOK_STEP_LOGS;
    case HM_EVENT_CHAIN_FAILED: break;
  }
  return HM_HOOK_NONE;
}

HM_DEF const char *hm_hook_kind_name(hm_hook_kind kind) {
  switch (kind) {
    case HM_HOOK_BUILD_START: return "build_start";
    case HM_HOOK_STEP_QUEUED: return "step_queued";
    case HM_HOOK_STEP_START: return "step_start";
    case HM_HOOK_STEP_LOG: return "step_log";
    case HM_HOOK_STEP_CACHE_HIT: return "step_cache_hit";
    case HM_HOOK_STEP_END: return "step_end";
    case HM_HOOK_BUILD_END: return "build_end";
    case HM_HOOK_STEP_LOGS: return "step_logs";
    case HM_HOOK_NONE: break;
  }
  return NULL;
}

/* ---- messages: decoders ----------------------------------------------------------------------- */

/* Every decoder: read all fields, then on error zero the whole output (no half-filled views). */
static int hm__decoded(hm_reader *r, void *out, size_t size) {
  if (r->error == HM_ERROR_NONE) return 1;
  memset(out, 0, size);
  return 0;
}

HM_DEF int hm_read_command_step(hm_reader *r, hm_command_step *out) {
  memset(out, 0, sizeof *out);
  out->key = hm_read_str_ref(r);
  out->label = hm_read_opt_str_ref(r);
  out->cmd = hm_read_str_ref(r);
  out->builds_in = hm_read_opt_str_ref(r);
  out->image = hm_read_opt_str_ref(r);
  if (hm_read_option(r)) out->env = hm_read_str_map(r);
  out->has_timeout_seconds = hm_read_option(r);
  if (out->has_timeout_seconds) out->timeout_seconds = hm_read_u32(r);
  out->has_cache = hm_read_option(r);
  if (out->has_cache) {
    out->cache_policy = hm_read_str_ref(r);
    out->cache_key = hm_read_opt_str_ref(r);
  }
  out->runner = hm_read_opt_str_ref(r);
  out->runner_args = hm_read_opt_value(r);
  return hm__decoded(r, out, sizeof *out);
}

HM_DEF int hm_read_executor_input(hm_reader *r, hm_executor_input *out) {
  memset(out, 0, sizeof *out);
  hm_read_command_step(r, &out->step);
  hm_read_uuid(r, out->workspace_archive_id);
  out->env = hm_read_str_map(r);
  out->workdir = hm_read_str_ref(r);
  hm_read_uuid(r, out->run_id);
  hm_read_uuid(r, out->step_id);
  out->cache_lookup = (hm_cache_decision_kind)hm_read_enum(r, 3);
  if (out->cache_lookup != HM_CACHE_MISS_NO_COMMIT) out->cache_tag = hm_read_str_ref(r);
  out->parent_snapshot = hm_read_opt_str_ref(r);
  return hm__decoded(r, out, sizeof *out);
}

/* One StepLogLine: step_id, stream, line, ts. */
static void hm__read_step_log_line(hm_reader *r, hm_step_log_line *out) {
  hm_read_uuid(r, out->step_id);
  out->stream = (int)hm_read_enum(r, 2);
  out->line = hm_read_str_ref(r);
  out->ts_ms = hm_read_i64(r);
}

HM_DEF hm_iter hm_step_logs_iter(hm_step_log_list lines) {
  hm_iter it;
  it.pos = lines.ptr;
  it.end = lines.ptr ? lines.ptr + lines.len : NULL;
  it.left = lines.count;
  return it;
}

HM_DEF int hm_step_logs_next(hm_iter *it, hm_step_log_line *line) {
  hm_reader r;
  hm_step_log_line l;
  if (it->left == 0) return 0;
  r = hm__iter_reader(it);
  hm__read_step_log_line(&r, &l);
  if (!hm__iter_advance(it, &r)) return 0;
  if (line) *line = l;
  return 1;
}

HM_DEF int hm_read_build_event(hm_reader *r, hm_build_event *out) {
  memset(out, 0, sizeof *out);
  out->kind = (hm_event_kind)hm_read_enum(r, 9);
  switch (out->kind) {
    case HM_EVENT_BUILD_START:
      hm_read_uuid(r, out->as.build_start.run_id);
      out->as.build_start.step_count = hm_read_u64(r);
      out->as.build_start.chain_count = hm_read_u64(r);
      out->as.build_start.default_runner = hm_read_str_ref(r);
      out->as.build_start.started_at_ms = hm_read_i64(r);
      break;
    case HM_EVENT_STEP_QUEUED:
      hm_read_uuid(r, out->as.step_queued.step_id);
      out->as.step_queued.key = hm_read_str_ref(r);
      out->as.step_queued.chain_idx = hm_read_u64(r);
      break;
    case HM_EVENT_STEP_START:
      hm_read_uuid(r, out->as.step_start.step_id);
      out->as.step_start.runner = hm_read_str_ref(r);
      out->as.step_start.image = hm_read_opt_str_ref(r);
      break;
    case HM_EVENT_STEP_LOG:
      hm_read_uuid(r, out->as.step_log.step_id);
      out->as.step_log.stream = (hm_stream)hm_read_enum(r, 2);
      out->as.step_log.line = hm_read_str_ref(r);
      out->as.step_log.ts_ms = hm_read_i64(r);
      break;
    case HM_EVENT_STEP_CACHE_HIT:
      hm_read_uuid(r, out->as.step_cache_hit.step_id);
      out->as.step_cache_hit.key = hm_read_str_ref(r);
      out->as.step_cache_hit.tag = hm_read_str_ref(r);
      break;
    case HM_EVENT_STEP_END:
      hm_read_uuid(r, out->as.step_end.step_id);
      out->as.step_end.exit_code = hm_read_i32(r);
      out->as.step_end.duration_ms = hm_read_u64(r);
      out->as.step_end.snapshot = hm_read_opt_str_ref(r);
      break;
    case HM_EVENT_CHAIN_FAILED:
      out->as.chain_failed.chain_idx = hm_read_u64(r);
      hm_read_uuid(r, out->as.chain_failed.failed_step_id);
      out->as.chain_failed.failed_step_key = hm_read_str_ref(r);
      out->as.chain_failed.exit_code = hm_read_i32(r);
      out->as.chain_failed.message = hm_read_str_ref(r);
      out->as.chain_failed.ts_ms = hm_read_i64(r);
      break;
    case HM_EVENT_BUILD_END:
      out->as.build_end.exit_code = hm_read_i32(r);
      out->as.build_end.duration_ms = hm_read_u64(r);
      break;
    case HM_EVENT_STEP_LOGS: {
      uint32_t count = hm_read_len(r, 16 + 1 + 4 + 8), i;
      const uint8_t *first = r->pos;
      hm_step_log_line skipped;
      for (i = 0; i < count && r->error == HM_ERROR_NONE; i++) hm__read_step_log_line(r, &skipped);
      if (r->error != HM_ERROR_NONE) break;
      out->as.step_logs.lines.ptr = first;
      out->as.step_logs.lines.len = (size_t)(r->pos - first);
      out->as.step_logs.lines.count = count;
      break;
    }
  }
  return hm__decoded(r, out, sizeof *out);
}

HM_DEF int hm_read_hook_event(hm_reader *r, hm_hook_event *out) {
  memset(out, 0, sizeof *out);
  hm_read_build_event(r, &out->event);
  out->phase = (hm_hook_phase)hm_read_enum(r, 2);
  return hm__decoded(r, out, sizeof *out);
}

HM_DEF int hm_read_subcommand_input(hm_reader *r, hm_subcommand_input *out) {
  memset(out, 0, sizeof *out);
  out->verb_path = hm_read_str_list(r);
  out->args = hm_read_value(r);
  out->env = hm_read_str_map(r);
  return hm__decoded(r, out, sizeof *out);
}

/* ---- messages: encoders ----------------------------------------------------------------------- */

static int hm__misuse(hm_writer *w) {
  hm_writer_flag_error(w, HM_ERROR_MISUSE);
  return 0;
}

static int hm__write_opt_char(hm_writer *w, uint32_t code_point) {
  return hm_write_option(w, code_point != 0) && (code_point == 0 || hm_write_char(w, code_point));
}

static int hm__write_opt_json(hm_writer *w, const char *json) {
  return hm_write_option(w, json != NULL) && (json == NULL || hm_write_value_json(w, json));
}

static int hm__write_arg_spec(hm_writer *w, const hm_arg_spec *a) {
  if ((unsigned)a->value_type > HM_ARG_BOOL) return hm__misuse(w);
  switch (a->kind) {
    case HM_ARG_POSITIONAL:
      return hm_write_enum(w, 0) && hm_write_str(w, a->name) && hm_write_opt_str(w, a->help) &&
             hm_write_bool(w, a->required) && hm_write_enum(w, (uint8_t)a->value_type);
    case HM_ARG_OPTION:
      return hm_write_enum(w, 1) && hm_write_str(w, a->name) && hm__write_opt_char(w, a->short_name) &&
             hm_write_opt_str(w, a->help) && hm_write_bool(w, a->required) &&
             hm_write_enum(w, (uint8_t)a->value_type) && hm_write_opt_str(w, a->default_value);
    case HM_ARG_FLAG:
      return hm_write_enum(w, 2) && hm_write_str(w, a->name) && hm__write_opt_char(w, a->short_name) &&
             hm_write_opt_str(w, a->help);
  }
  return hm__misuse(w);
}

static int hm__write_subcommand_spec(hm_writer *w, const hm_subcommand_spec *s, int depth) {
  size_t i;
  if (depth > HM_PLUGIN_VALUE_MAX_DEPTH) {
    hm_writer_flag_error(w, HM_ERROR_DEPTH);
    return 0;
  }
  if ((s->arg_count && !s->args) || (s->subcommand_count && !s->subcommands)) return hm__misuse(w);
  hm_write_str(w, s->verb);
  hm_write_str(w, s->about);
  hm_write_len(w, s->arg_count);
  for (i = 0; i < s->arg_count; i++) hm__write_arg_spec(w, &s->args[i]);
  hm_write_len(w, s->subcommand_count);
  for (i = 0; i < s->subcommand_count; i++) hm__write_subcommand_spec(w, &s->subcommands[i], depth + 1);
  return w->error == HM_ERROR_NONE;
}

static int hm__write_capability(hm_writer *w, const hm_capability *c) {
  size_t i;
  switch (c->kind) {
    case HM_CAP_SUBCOMMAND:
      hm_write_enum(w, 0);
      return hm__write_subcommand_spec(w, &c->as.subcommand, 1);
    case HM_CAP_STEP_EXECUTOR:
      return hm_write_enum(w, 1) && hm_write_str(w, c->as.step_executor.runner) &&
             hm_write_bool(w, c->as.step_executor.is_default) &&
             hm__write_opt_json(w, c->as.step_executor.step_schema_json);
    case HM_CAP_LIFECYCLE_HOOK: {
      const hm_lifecycle_hook_spec *h = &c->as.lifecycle_hook;
      if ((h->event_count && !h->events) || (unsigned)h->phase > HM_HOOK_AFTER) return hm__misuse(w);
      hm_write_enum(w, 2);
      hm_write_len(w, h->event_count);
      for (i = 0; i < h->event_count; i++) {
        if ((unsigned)h->events[i] > HM_HOOK_STEP_LOGS) return hm__misuse(w);
        hm_write_enum(w, (uint8_t)h->events[i]);
      }
      return hm_write_enum(w, (uint8_t)h->phase) && hm_write_u32(w, h->timeout_ms);
    }
  }
  return hm__misuse(w);
}

/* The lowest wire protocol that covers `m`: 3 when a lifecycle hook takes HM_HOOK_STEP_LOGS, else
   2, so a plugin that uses nothing of protocol 3 still loads in an hm that speaks only 2. */
static uint32_t hm__manifest_protocol(const hm_manifest *m) {
  size_t i, j;
  for (i = 0; i < m->capability_count; i++) {
    const hm_capability *c = &m->capabilities[i];
    if (c->kind != HM_CAP_LIFECYCLE_HOOK || !c->as.lifecycle_hook.events) continue;
    for (j = 0; j < c->as.lifecycle_hook.event_count; j++)
      if (c->as.lifecycle_hook.events[j] == HM_HOOK_STEP_LOGS) return 3;
  }
  return 2;
}

HM_DEF int hm_write_manifest(hm_writer *w, const hm_manifest *m) {
  size_t i;
  if (!m || (m->capability_count && !m->capabilities)) return hm__misuse(w);
  hm_write_u32(w, m->api_version ? m->api_version : hm__manifest_protocol(m));
  hm_write_str(w, m->name);
  hm_write_str(w, m->version);
  hm_write_str(w, m->description);
  hm_write_len(w, m->capability_count);
  for (i = 0; i < m->capability_count; i++) hm__write_capability(w, &m->capabilities[i]);
  hm__write_opt_json(w, m->config_schema_json);
  return w->error == HM_ERROR_NONE;
}

HM_DEF int hm_write_step_result(hm_writer *w, const hm_step_result *v) {
  size_t i;
  if (v->artifact_count && !v->artifacts) return hm__misuse(w);
  hm_write_i32(w, v->exit_code);
  hm_write_opt_str(w, v->committed_snapshot);
  hm_write_len(w, v->artifact_count);
  for (i = 0; i < v->artifact_count; i++) {
    hm_write_str(w, v->artifacts[i].key);
    hm_write_str(w, v->artifacts[i].mime);
    hm_write_u64(w, v->artifacts[i].size_bytes);
  }
  return w->error == HM_ERROR_NONE;
}

HM_DEF int hm_write_hook_outcome(hm_writer *w, const hm_hook_outcome *v) {
  switch (v->kind) {
    case HM_HOOK_CONTINUE: return hm_write_enum(w, 0);
    case HM_HOOK_ABORT: return hm_write_enum(w, 1) && hm_write_str(w, v->reason);
  }
  return hm__misuse(w);
}

HM_DEF int hm_write_exit_info(hm_writer *w, const hm_exit_info *v) {
  return hm_write_i32(w, v->exit_code) && hm_write_opt_str(w, v->message);
}

HM_DEF int hm_write_plugin_error(hm_writer *w, const hm_plugin_error *v) {
  return hm_write_str(w, v->code) && hm_write_str(w, v->message) && hm_write_opt_str(w, v->doc_url);
}

HM_DEF int hm_write_build_event(hm_writer *w, const hm_build_event *v) {
  /* HM_EVENT_STEP_LOGS is hm's to send to hooks, not an event a plugin can emit. */
  if ((unsigned)v->kind > HM_EVENT_BUILD_END) return hm__misuse(w);
  hm_write_enum(w, (uint8_t)v->kind);
  switch (v->kind) {
    case HM_EVENT_BUILD_START:
      hm_write_uuid(w, v->as.build_start.run_id);
      hm_write_u64(w, v->as.build_start.step_count);
      hm_write_u64(w, v->as.build_start.chain_count);
      hm_write_str_ref(w, v->as.build_start.default_runner);
      hm_write_i64(w, v->as.build_start.started_at_ms);
      break;
    case HM_EVENT_STEP_QUEUED:
      hm_write_uuid(w, v->as.step_queued.step_id);
      hm_write_str_ref(w, v->as.step_queued.key);
      hm_write_u64(w, v->as.step_queued.chain_idx);
      break;
    case HM_EVENT_STEP_START:
      hm_write_uuid(w, v->as.step_start.step_id);
      hm_write_str_ref(w, v->as.step_start.runner);
      hm_write_opt_str_ref(w, v->as.step_start.image);
      break;
    case HM_EVENT_STEP_LOG:
      if ((unsigned)v->as.step_log.stream > HM_STREAM_STDERR) return hm__misuse(w);
      hm_write_uuid(w, v->as.step_log.step_id);
      hm_write_enum(w, (uint8_t)v->as.step_log.stream);
      hm_write_str_ref(w, v->as.step_log.line);
      hm_write_i64(w, v->as.step_log.ts_ms);
      break;
    case HM_EVENT_STEP_CACHE_HIT:
      hm_write_uuid(w, v->as.step_cache_hit.step_id);
      hm_write_str_ref(w, v->as.step_cache_hit.key);
      hm_write_str_ref(w, v->as.step_cache_hit.tag);
      break;
    case HM_EVENT_STEP_END:
      hm_write_uuid(w, v->as.step_end.step_id);
      hm_write_i32(w, v->as.step_end.exit_code);
      hm_write_u64(w, v->as.step_end.duration_ms);
      hm_write_opt_str_ref(w, v->as.step_end.snapshot);
      break;
    case HM_EVENT_CHAIN_FAILED:
      hm_write_u64(w, v->as.chain_failed.chain_idx);
      hm_write_uuid(w, v->as.chain_failed.failed_step_id);
      hm_write_str_ref(w, v->as.chain_failed.failed_step_key);
      hm_write_i32(w, v->as.chain_failed.exit_code);
      hm_write_str_ref(w, v->as.chain_failed.message);
      hm_write_i64(w, v->as.chain_failed.ts_ms);
      break;
    case HM_EVENT_BUILD_END:
      hm_write_i32(w, v->as.build_end.exit_code);
      hm_write_u64(w, v->as.build_end.duration_ms);
      break;
    case HM_EVENT_STEP_LOGS: return hm__misuse(w); /* refused above; here for -Wswitch */
  }
  return w->error == HM_ERROR_NONE;
}

/* ---- context ---------------------------------------------------------------------------------- */

typedef union hm__max_align {
  long double ld;
  long long ll;
  double d;
  void *p;
  void (*fp)(void);
} hm__max_align;

typedef struct hm__block {
  struct hm__block *next;
  hm__max_align data[]; /* the allocation itself */
} hm__block;

/* One kv_get answer kept by the ctx: the key (an arena copy) and the host's bytes. */
typedef struct hm__kv_entry {
  hm_kv_scope scope;
  const char *key;
  size_t key_len;
  hm_bytes value;
} hm__kv_entry;
#define HM__KV_CACHE_SIZE 32

struct hm_ctx {
  const hm_host_api *api;
  hm_call *call;
  hm_bytes input;
  hm__block *arena;      /* freed when the call returns */
  hm_error error;        /* first error; HM_ERROR_NONE while fine */
  const char *error_fn;  /* host function or SDK step that failed */
  char *fail_code;       /* hm_fail: arena copies */
  char *fail_message;
  char *fail_doc_url;
  struct hm_ctx *outer;  /* the enclosing call's ctx on this thread */
  hm__thread_id thread;  /* the thread that entered hm_plugin_call */
  /* hm_kv_get's cache: entries valid while *kv_writes == kv_writes_seen. kv_counter_state: 0 not
     asked yet, 1 kv_writes is set, -1 the host has no counter (nothing is cached). */
  int kv_counter_state;
  const uint32_t *kv_writes;
  uint32_t kv_writes_seen;
  hm__kv_entry *kv_cache;
  size_t kv_cache_count;
};

#ifdef HM__THREAD_LOCAL
static HM__THREAD_LOCAL hm_ctx *hm__current_ctx;
HM_DEF hm_ctx *hm_ctx_current(void) { return hm__current_ctx; }
#endif

static void hm__ctx_flag(hm_ctx *ctx, hm_error e, const char *where) {
  if (ctx->error != HM_ERROR_NONE) return;
  ctx->error = e;
  ctx->error_fn = where;
}

/* Whether the caller runs on the ctx's thread; if not, flags HM_ERROR_WRONG_THREAD naming `helper`.
   The flag is written from the foreign thread: the call's thread sees it once the two synchronize. */
static int hm__on_call_thread(hm_ctx *ctx, const char *helper) {
  if (hm__same_thread(ctx->thread, hm__this_thread())) return 1;
  hm__ctx_flag(ctx, HM_ERROR_WRONG_THREAD, helper);
  return 0;
}

HM_DEF int hm_ok(const hm_ctx *ctx) { return ctx != NULL && ctx->error == HM_ERROR_NONE; }
HM_DEF hm_error hm_ctx_error(const hm_ctx *ctx) { return ctx ? ctx->error : HM_ERROR_MISUSE; }
HM_DEF hm_bytes hm_ctx_input(const hm_ctx *ctx) { return ctx->input; }
HM_DEF const hm_host_api *hm_ctx_api(const hm_ctx *ctx) { return ctx->api; }
HM_DEF hm_call *hm_ctx_call(const hm_ctx *ctx) { return ctx->call; }

HM_DEF void *hm_ctx_alloc(hm_ctx *ctx, size_t size) {
  hm__block *block;
  if (!hm__on_call_thread(ctx, "hm_ctx_alloc")) return NULL; /* the arena is the call thread's */
  if (size > SIZE_MAX - sizeof(hm__block)) {
    hm__ctx_flag(ctx, HM_ERROR_NOMEM, "hm_ctx_alloc");
    return NULL;
  }
  block = (hm__block *)HM_PLUGIN_MALLOC(sizeof(hm__block) + (size ? size : 1));
  if (!block) {
    hm__ctx_flag(ctx, HM_ERROR_NOMEM, "hm_ctx_alloc");
    return NULL;
  }
  block->next = ctx->arena;
  ctx->arena = block;
  return block->data;
}

static void hm__ctx_free_arena(hm_ctx *ctx) {
  while (ctx->arena) {
    hm__block *next = ctx->arena->next;
    HM_PLUGIN_FREE(ctx->arena);
    ctx->arena = next;
  }
}

HM_DEF char *hm_ctx_vsprintf(hm_ctx *ctx, const char *fmt, va_list args) {
  va_list measure;
  int n;
  char *out;
  va_copy(measure, args);
  n = vsnprintf(NULL, 0, fmt, measure);
  va_end(measure);
  if (n < 0) {
    hm__ctx_flag(ctx, HM_ERROR_MISUSE, "hm_ctx_sprintf");
    return NULL;
  }
  out = (char *)hm_ctx_alloc(ctx, (size_t)n + 1);
  if (out) vsnprintf(out, (size_t)n + 1, fmt, args);
  return out;
}

HM_DEF char *hm_ctx_sprintf(hm_ctx *ctx, const char *fmt, ...) {
  va_list args;
  char *out;
  va_start(args, fmt);
  out = hm_ctx_vsprintf(ctx, fmt, args);
  va_end(args);
  return out;
}

HM_DEF char *hm_ctx_strdup(hm_ctx *ctx, hm_str s) {
  size_t len = s.ptr ? s.len : 0;
  char *out = len == SIZE_MAX ? NULL : (char *)hm_ctx_alloc(ctx, len + 1);
  if (!out) return NULL;
  if (len) memcpy(out, s.ptr, len);
  out[len] = '\0';
  return out;
}

static int hm__vfail(hm_ctx *ctx, const char *code, const char *doc_url, const char *fmt, va_list args) {
  char *message;
  if (!hm__on_call_thread(ctx, "hm_fail") || ctx->error != HM_ERROR_NONE) return 0;
  message = hm_ctx_vsprintf(ctx, fmt ? fmt : "", args);
  ctx->fail_code = hm_ctx_strdup(ctx, hm_cstr(code ? code : "plugin_error"));
  ctx->fail_doc_url = doc_url ? hm_ctx_strdup(ctx, hm_cstr(doc_url)) : NULL;
  ctx->fail_message = message;
  hm__ctx_flag(ctx, HM_ERROR_PLUGIN, NULL); /* keeps NOMEM if a copy failed */
  return 0;
}

HM_DEF int hm_fail(hm_ctx *ctx, const char *code, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  hm__vfail(ctx, code, NULL, fmt, args);
  va_end(args);
  return 0;
}

HM_DEF int hm_fail_doc(hm_ctx *ctx, const char *code, const char *doc_url, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  hm__vfail(ctx, code, doc_url, fmt, args);
  va_end(args);
  return 0;
}

/* Whether a helper may call `slot`: no earlier error, and the host has it. */
#define HM__CAN_CALL(ctx, slot) \
  hm__can_call((ctx), (ctx) != NULL && HM_HAS((ctx)->api, slot), #slot, "hm_" #slot)
static int hm__can_call(hm_ctx *ctx, int has_slot, const char *slot, const char *helper) {
  if (!ctx || !hm__on_call_thread(ctx, helper) || ctx->error != HM_ERROR_NONE) return 0;
  if (!has_slot) {
    hm__ctx_flag(ctx, HM_ERROR_HOST_MISSING, slot);
    return 0;
  }
  return 1;
}

/* The result of a host call: positive = success; 0 (or negative) = host gone or failed. */
static int hm__host_result(hm_ctx *ctx, int32_t rc, const char *slot) {
  if (rc > 0) return 1;
  hm__ctx_flag(ctx, HM_ERROR_HOST_GONE, slot);
  return 0;
}

static int hm__log_n(hm_ctx *ctx, hm_level level, const char *msg, size_t len, const char *helper) {
  if (!ctx || !hm__on_call_thread(ctx, helper) || ctx->error != HM_ERROR_NONE || !HM_HAS(ctx->api, log))
    return 0;
  return hm__host_result(ctx, ctx->api->log(ctx->call, (uint32_t)level, (const uint8_t *)msg, len), "log");
}

HM_DEF int hm_log(hm_ctx *ctx, hm_level level, const char *msg) {
  return hm__log_n(ctx, level, msg ? msg : "", msg ? strlen(msg) : 0, "hm_log");
}

HM_DEF int hm_logf(hm_ctx *ctx, hm_level level, const char *fmt, ...) {
  char small[512], *msg = small;
  va_list args;
  int n, ok;
  if (!ctx || !hm__on_call_thread(ctx, "hm_logf") || ctx->error != HM_ERROR_NONE || !HM_HAS(ctx->api, log))
    return 0;
  va_start(args, fmt);
  n = vsnprintf(small, sizeof small, fmt, args);
  va_end(args);
  if (n < 0) return 0;
  if ((size_t)n >= sizeof small) { /* a long message: format again into a heap buffer */
    msg = (char *)HM_PLUGIN_MALLOC((size_t)n + 1);
    if (!msg) {
      hm__ctx_flag(ctx, HM_ERROR_NOMEM, "hm_logf");
      return 0;
    }
    va_start(args, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, args);
    va_end(args);
  }
  ok = hm__log_n(ctx, level, msg, (size_t)n, "hm_logf");
  if (msg != small) HM_PLUGIN_FREE(msg);
  return ok;
}

#if defined(__GNUC__) || defined(__clang__)
#define HM__LOAD_ACQUIRE(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#else
#define HM__LOAD_ACQUIRE(p) (*(const volatile uint32_t *)(p))
#endif

/* hm's KV write count now, with *ok = 1; *ok = 0 when the host offers none (then nothing is
   cached). The counter is written by hm on other threads: it is read atomically, never written. */
static uint32_t hm__kv_writes_now(hm_ctx *ctx, int *ok) {
#ifdef HM_PLUGIN_NO_KV_CACHE
  (void)ctx;
  *ok = 0;
  return 0;
#else
  if (ctx->kv_counter_state == 0) {
    const uint32_t *counter = NULL;
    ctx->kv_counter_state = -1;
    if (HM_HAS(ctx->api, kv_write_count) && ctx->api->kv_write_count(ctx->call, &counter) > 0 && counter) {
      ctx->kv_writes = counter;
      ctx->kv_counter_state = 1;
    }
  }
  *ok = ctx->kv_counter_state == 1;
  return *ok ? HM__LOAD_ACQUIRE(ctx->kv_writes) : 0;
#endif
}

HM_DEF int hm_kv_get(hm_ctx *ctx, hm_kv_scope scope, const char *key, hm_bytes *out) {
  hm_bytes got = {NULL, 0};
  size_t key_len, i;
  uint32_t writes = 0;
  int counted = 0;
  if (out) *out = got;
  if (!HM__CAN_CALL(ctx, kv_get)) return 0;
  if (!key) {
    hm__ctx_flag(ctx, HM_ERROR_MISUSE, "kv_get");
    return 0;
  }
  key_len = strlen(key);
  /* Read the count BEFORE asking hm (hm bumps it after a write commits): an answer that races a
     write is kept under the older count, and dropped at the next read. */
  if (scope != HM_KV_PLUGIN) writes = hm__kv_writes_now(ctx, &counted);
  if (counted && writes == ctx->kv_writes_seen) {
    for (i = 0; i < ctx->kv_cache_count; i++) {
      const hm__kv_entry *e = &ctx->kv_cache[i];
      if (e->scope == scope && e->key_len == key_len && memcmp(e->key, key, key_len) == 0) {
        if (out) *out = e->value;
        return 1;
      }
    }
  }
  if (!hm__host_result(ctx, ctx->api->kv_get(ctx->call, (uint32_t)scope, (const uint8_t *)key, key_len, &got),
                       "kv_get"))
    return 0;
  if (!got.ptr) got.len = 0;
  if (out) *out = got;
  if (counted) {
    if (writes != ctx->kv_writes_seen) ctx->kv_cache_count = 0, ctx->kv_writes_seen = writes;
    if (!ctx->kv_cache) ctx->kv_cache = (hm__kv_entry *)hm_ctx_alloc(ctx, HM__KV_CACHE_SIZE * sizeof *ctx->kv_cache);
    if (ctx->kv_cache && ctx->kv_cache_count < HM__KV_CACHE_SIZE) {
      char *copy = (char *)hm_ctx_alloc(ctx, key_len + 1);
      if (copy) {
        hm__kv_entry *e = &ctx->kv_cache[ctx->kv_cache_count++];
        memcpy(copy, key, key_len + 1);
        e->scope = scope, e->key = copy, e->key_len = key_len, e->value = got;
      }
    }
  }
  return 1;
}

HM_DEF int hm_kv_set(hm_ctx *ctx, hm_kv_scope scope, const char *key, const void *value, size_t len) {
  if (!HM__CAN_CALL(ctx, kv_set)) return 0;
  if (!key || (len && !value)) {
    hm__ctx_flag(ctx, HM_ERROR_MISUSE, "kv_set");
    return 0;
  }
  return hm__host_result(ctx,
                         ctx->api->kv_set(ctx->call, (uint32_t)scope, (const uint8_t *)key, strlen(key),
                                          (const uint8_t *)(value ? value : hm__empty), len),
                         "kv_set");
}

HM_DEF int hm_emit_event(hm_ctx *ctx, const hm_build_event *ev) {
  hm_writer w;
  const uint8_t *bytes;
  size_t len;
  int ok;
  if (!HM__CAN_CALL(ctx, emit_event)) return 0;
  hm_writer_init(&w);
  hm_write_build_event(&w, ev);
  if (hm_writer_finish(&w, &bytes, &len))
    ok = hm__host_result(ctx, ctx->api->emit_event(ctx->call, bytes, len), "emit_event");
  else
    ok = 0, hm__ctx_flag(ctx, hm_writer_error(&w), "emit_event");
  hm_writer_destroy(&w);
  return ok;
}

HM_DEF int hm_emit_step_log(hm_ctx *ctx, hm_stream stream, const void *bytes, size_t len) {
  if (!HM__CAN_CALL(ctx, emit_step_log)) return 0;
  return hm__host_result(
      ctx, ctx->api->emit_step_log(ctx->call, (uint32_t)stream, (const uint8_t *)(bytes ? bytes : hm__empty), len),
      "emit_step_log");
}

HM_DEF int hm_emit_step_logs(hm_ctx *ctx, hm_stream stream, const void *bytes, size_t len) {
  const uint8_t *p = (const uint8_t *)bytes, *end, *nl;
  if (len == 0) return ctx && hm__on_call_thread(ctx, "hm_emit_step_logs") && ctx->error == HM_ERROR_NONE;
  if (ctx && ctx->api && HM_HAS(ctx->api, emit_step_logs)) {
    if (!HM__CAN_CALL(ctx, emit_step_logs)) return 0;
    return hm__host_result(ctx, ctx->api->emit_step_logs(ctx->call, (uint32_t)stream, p, len), "emit_step_logs");
  }
  /* An hm before 0.2: one emit_step_log per line, each with its '\n' (which the host strips). */
  for (end = p + len; p < end; p = nl) {
    nl = (const uint8_t *)memchr(p, '\n', (size_t)(end - p));
    nl = nl ? nl + 1 : end;
    if (!hm_emit_step_log(ctx, stream, p, (size_t)(nl - p))) return 0;
  }
  return 1;
}

HM_DEF int hm_keep_going(hm_ctx *ctx) {
  if (!ctx || !hm__on_call_thread(ctx, "hm_keep_going") || ctx->error != HM_ERROR_NONE) return 0;
  if (!HM_HAS(ctx->api, keep_going)) return 1;
  return ctx->api->keep_going(ctx->call) > 0;
}

HM_DEF int hm_should_cancel(hm_ctx *ctx) { return !hm_keep_going(ctx); }

HM_DEF int hm_write_stdout(hm_ctx *ctx, const void *bytes, size_t len) {
  if (!HM__CAN_CALL(ctx, write_stdout)) return 0;
  return hm__host_result(ctx, ctx->api->write_stdout(ctx->call, (const uint8_t *)(bytes ? bytes : hm__empty), len),
                         "write_stdout");
}

HM_DEF int hm_write_stderr(hm_ctx *ctx, const void *bytes, size_t len) {
  if (!HM__CAN_CALL(ctx, write_stderr)) return 0;
  return hm__host_result(ctx, ctx->api->write_stderr(ctx->call, (const uint8_t *)(bytes ? bytes : hm__empty), len),
                         "write_stderr");
}

HM_DEF int hm_archive_read(hm_ctx *ctx, const uint8_t id[16], uint64_t offset, void *buf, size_t cap,
                           size_t *out_len) {
  size_t got = 0;
  if (out_len) *out_len = 0;
  if (!HM__CAN_CALL(ctx, archive_read)) return 0;
  if (!id || (cap && !buf)) {
    hm__ctx_flag(ctx, HM_ERROR_MISUSE, "archive_read");
    return 0;
  }
  if (!hm__host_result(ctx, ctx->api->archive_read(ctx->call, id, offset, (uint8_t *)buf, cap, &got),
                       "archive_read"))
    return 0;
  if (out_len) *out_len = got > cap ? cap : got;
  return 1;
}

HM_DEF int hm_archive_total_size(hm_ctx *ctx, const uint8_t id[16], uint64_t *out_size) {
  uint64_t size = 0;
  if (out_size) *out_size = 0;
  if (!HM__CAN_CALL(ctx, archive_total_size)) return 0;
  if (!id) {
    hm__ctx_flag(ctx, HM_ERROR_MISUSE, "archive_total_size");
    return 0;
  }
  if (!hm__host_result(ctx, ctx->api->archive_total_size(ctx->call, id, &size), "archive_total_size")) return 0;
  if (out_size) *out_size = size;
  return 1;
}

HM_DEF int hm_fs_read_config(hm_ctx *ctx, const char *rel_path, hm_bytes *out) {
  hm_bytes got = {NULL, 0};
  if (out) *out = got;
  if (!HM__CAN_CALL(ctx, fs_read_config)) return 0;
  if (!rel_path) {
    hm__ctx_flag(ctx, HM_ERROR_MISUSE, "fs_read_config");
    return 0;
  }
  if (!hm__host_result(
          ctx, ctx->api->fs_read_config(ctx->call, (const uint8_t *)rel_path, strlen(rel_path), &got),
          "fs_read_config"))
    return 0;
  if (!got.ptr) got.len = 0;
  if (out) *out = got;
  return 1;
}

/* ---- dispatch --------------------------------------------------------------------------------- */

/* The first function in `needs` that the host lacks, or NULL. */
static const char *hm__first_missing(const hm_host_api *api, uint32_t needs) {
#define HM__CHECK_SLOT(index, name, NAME, parameters) \
  if ((needs & (uint32_t)HM_NEEDS_##NAME) && !HM_HAS(api, name)) return #name;
  HM_HOST_FUNCTIONS(HM__CHECK_SLOT)
#undef HM__CHECK_SLOT
  return NULL;
}

/* Hands the writer's bytes (or, if they cannot be had, an "encode" error) to the host. */
static int32_t hm__reply(hm_ctx *ctx, hm_writer *w, int32_t status, const char *what);

static int32_t hm__reply_error(hm_ctx *ctx, int32_t status, const char *code, const char *message,
                               const char *doc_url) {
  hm_writer w;
  hm_plugin_error e;
  e.code = code;
  e.message = message;
  e.doc_url = doc_url;
  hm_writer_init(&w);
  hm_write_plugin_error(&w, &e);
  return hm__reply(ctx, &w, status, NULL);
}

static int32_t hm__reply(hm_ctx *ctx, hm_writer *w, int32_t status, const char *what) {
  const uint8_t *bytes;
  size_t len;
  int32_t rc;
  if (!hm_writer_finish(w, &bytes, &len)) {
    /* The plugin's result or error could not be encoded (invalid UTF-8, NULL string, NOMEM):
       report that instead, from a fixed buffer with only static strings, which cannot fail. */
    uint8_t buf[256];
    char message[160];
    hm_writer fixed;
    hm_plugin_error e;
    snprintf(message, sizeof message, "could not encode %s: %s", what ? what : "PluginError",
             hm_error_string(hm_writer_error(w)));
    e.code = hm_writer_error(w) == HM_ERROR_NOMEM ? "out_of_memory" : "encode";
    e.message = message;
    e.doc_url = NULL;
    hm_writer_destroy(w);
    hm_writer_init_fixed(&fixed, buf, sizeof buf);
    hm_write_plugin_error(&fixed, &e);
    hm_writer_finish(&fixed, &bytes, &len);
    ctx->api->set_result(ctx->call, bytes, len);
    hm_writer_destroy(&fixed);
    return HM_CALL_PLUGIN_ERROR;
  }
  rc = ctx->api->set_result(ctx->call, bytes, len);
  hm_writer_destroy(w);
  return rc > 0 ? status : HM_CALL_PLUGIN_ERROR;
}

/* Reports the ctx's error (or a capability that returned 0 without one) as a PluginError. */
static int32_t hm__reply_ctx_error(hm_ctx *ctx, const char *method) {
  char message[256];
  switch (ctx->error) {
    case HM_ERROR_PLUGIN:
      return hm__reply_error(ctx, HM_CALL_PLUGIN_ERROR, ctx->fail_code, ctx->fail_message ? ctx->fail_message : "",
                             ctx->fail_doc_url);
    case HM_ERROR_HOST_GONE:
      snprintf(message, sizeof message, "%s: host function '%s' failed (hm stopped this call, or the host raised)",
               method, ctx->error_fn);
      return hm__reply_error(ctx, HM_CALL_PLUGIN_ERROR, "host_call_failed", message, NULL);
    case HM_ERROR_HOST_MISSING:
      snprintf(message, sizeof message, "%s: this hm lacks host function '%s' (its host table has %u bytes)", method,
               ctx->error_fn, (unsigned)ctx->api->size);
      return hm__reply_error(ctx, HM_CALL_PLUGIN_ERROR, "host_incompatible", message, NULL);
    case HM_ERROR_WRONG_THREAD:
      snprintf(message, sizeof message, "%s: %s %s", method, ctx->error_fn, hm_error_string(ctx->error));
      return hm__reply_error(ctx, HM_CALL_PLUGIN_ERROR, "wrong_thread", message, NULL);
    case HM_ERROR_NOMEM:
      snprintf(message, sizeof message, "%s: out of memory", method);
      return hm__reply_error(ctx, HM_CALL_PLUGIN_ERROR, "out_of_memory", message, NULL);
    case HM_ERROR_NONE:
      snprintf(message, sizeof message, "%s failed without giving a reason", method);
      return hm__reply_error(ctx, HM_CALL_PLUGIN_ERROR, "plugin_error", message, NULL);
    default:
      snprintf(message, sizeof message, "%s: %s: %s", method, ctx->error_fn ? ctx->error_fn : "sdk",
               hm_error_string(ctx->error));
      return hm__reply_error(ctx, HM_CALL_PLUGIN_ERROR, "sdk_error", message, NULL);
  }
}

/* Methods 1-3, one sequence: implemented? host has what the plugin needs? input decodes? then
   call the capability and encode its result (or its error). */
static int32_t hm__capability(hm_ctx *ctx, const hm_plugin_def *def, uint32_t method) {
  static const char *const names[] = {"", "execute_step", "on_hook_event", "run_subcommand"};
  static const char *const inputs[] = {"", "ExecutorInput", "HookEvent", "SubcommandInput"};
  static const char *const outputs[] = {"", "StepResult", "HookOutcome", "ExitInfo"};
  union {
    hm_executor_input step;
    hm_hook_event hook;
    hm_subcommand_input subcommand;
  } in;
  union {
    hm_step_result step;
    hm_hook_outcome hook;
    hm_exit_info subcommand;
  } out;
  hm_reader r;
  hm_writer w;
  const char *missing;
  int ok = 0;

  if ((method == HM_METHOD_EXECUTE_STEP && !def->execute_step) ||
      (method == HM_METHOD_ON_HOOK_EVENT && !def->on_hook_event) ||
      (method == HM_METHOD_RUN_SUBCOMMAND && !def->run_subcommand))
    return hm__reply_error(ctx, HM_CALL_NOT_IMPLEMENTED, "not_implemented",
                           "this plugin does not implement this capability", NULL);
  missing = hm__first_missing(ctx->api, def->needs);
  if (missing) {
    hm__ctx_flag(ctx, HM_ERROR_HOST_MISSING, missing);
    return hm__reply_ctx_error(ctx, names[method]);
  }

  hm_reader_init(&r, ctx->input.ptr, ctx->input.len);
  switch (method) {
    case HM_METHOD_EXECUTE_STEP: hm_read_executor_input(&r, &in.step); break;
    case HM_METHOD_ON_HOOK_EVENT: hm_read_hook_event(&r, &in.hook); break;
    default: hm_read_subcommand_input(&r, &in.subcommand); break;
  }
  if (!hm_reader_finish(&r)) {
    char message[256];
    snprintf(message, sizeof message, "could not decode %s: %s (at byte %lu of %lu)", inputs[method],
             hm_error_string(r.error), (unsigned long)r.error_offset, (unsigned long)r.total);
    return hm__reply_error(ctx, HM_CALL_BAD_INPUT, "deserialize", message, NULL);
  }

  memset(&out, 0, sizeof out);
  switch (method) {
    case HM_METHOD_EXECUTE_STEP: ok = def->execute_step(ctx, &in.step, &out.step); break;
    case HM_METHOD_ON_HOOK_EVENT: ok = def->on_hook_event(ctx, &in.hook, &out.hook); break;
    default: ok = def->run_subcommand(ctx, &in.subcommand, &out.subcommand); break;
  }
  if (!ok || ctx->error != HM_ERROR_NONE) return hm__reply_ctx_error(ctx, names[method]);

  hm_writer_init(&w);
  switch (method) {
    case HM_METHOD_EXECUTE_STEP: hm_write_step_result(&w, &out.step); break;
    case HM_METHOD_ON_HOOK_EVENT: hm_write_hook_outcome(&w, &out.hook); break;
    default: hm_write_exit_info(&w, &out.subcommand); break;
  }
  return hm__reply(ctx, &w, HM_CALL_OK, outputs[method]);
}

static int32_t hm__manifest(hm_ctx *ctx, const hm_plugin_def *def) {
  hm_writer w;
  hm_writer_init(&w);
  hm_write_manifest(&w, def->manifest);
  return hm__reply(ctx, &w, HM_CALL_OK, "PluginManifest");
}

HM_DEF int32_t hm_plugin_dispatch(const hm_plugin_def *def, const hm_host_api *api, hm_call *call, uint32_t method,
                                  const uint8_t *input, size_t input_len) {
  hm_ctx ctx;
  int32_t status;
  char message[64];
  HM_PLUGIN_ASSERT(def != NULL);
  if (!api || api->abi_version != HM_ABI_VERSION || api->size < HM_HOST_API_V1_SIZE ||
      !HM_HAS(api, set_result))
    return HM_CALL_PLUGIN_ERROR; /* no safe way to report anything */
  memset(&ctx, 0, sizeof ctx);
  ctx.api = api;
  ctx.call = call;
  ctx.thread = hm__this_thread();
  ctx.input.ptr = input_len ? input : NULL;
  ctx.input.len = input ? input_len : 0;
#ifdef HM__THREAD_LOCAL
  ctx.outer = hm__current_ctx;
  hm__current_ctx = &ctx;
#endif
  switch (method) {
    case HM_METHOD_MANIFEST: status = hm__manifest(&ctx, def); break;
    case HM_METHOD_EXECUTE_STEP:
    case HM_METHOD_ON_HOOK_EVENT:
    case HM_METHOD_RUN_SUBCOMMAND: status = hm__capability(&ctx, def, method); break;
    default:
      snprintf(message, sizeof message, "unknown method %lu", (unsigned long)method);
      status = hm__reply_error(&ctx, HM_CALL_UNKNOWN_METHOD, "unknown_method", message, NULL);
      break;
  }
#ifdef HM__THREAD_LOCAL
  hm__current_ctx = ctx.outer;
#endif
  hm__ctx_free_arena(&ctx);
  return status;
}

#ifdef __cplusplus
}
#endif

#endif /* HM__IMPLEMENTATION_INCLUDED */
#endif /* HM_PLUGIN_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
LICENSE (MIT)
Copyright (c) 2026 the hm authors
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
*/
