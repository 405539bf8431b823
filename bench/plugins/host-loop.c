/* host-loop - bench plugin "hm-bench-host-loop": step executor for runner `bench-host-loop`.

   Calls one host function in a tight loop and reports how long the loop took, for the host API
   benchmark. ExecutorInput.env:
     HOST_FN     log | kv_get | kv_set | should_cancel | emit_step_log | emit_step_logs
     ITERATIONS  how many calls (1 .. 10 000 000); for emit_step_logs, how many lines, sent
                 LINES_PER_CALL at a time (the last call may carry fewer)
   The step's committed_snapshot is the loop's duration in nanoseconds (decimal text), measured
   with CLOCK_MONOTONIC around the loop only. */
#define _POSIX_C_SOURCE 200809L
#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"

#include <string.h>
#include <time.h>

/* emit_step_logs: lines per host call, about what one read() of a child's pipe holds at 20 bytes
   a line (a 4 KiB read, rounded down). */
#define LINES_PER_CALL 200
#define LINE "bench step log line\n"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int host_loop(hm_ctx *ctx, const hm_executor_input *in, hm_step_result *out) {
  hm_str fn, text;
  hm_bytes got;
  int64_t iterations = 0, i, started;
  if (!hm_str_map_get(in->env, "HOST_FN", &fn)) return hm_fail(ctx, "invalid_env", "HOST_FN is required");
  if (!hm_str_map_get(in->env, "ITERATIONS", &text) || !hm_str_parse_i64(text, &iterations) ||
      iterations < 1 || iterations > 10000000)
    return hm_fail(ctx, "invalid_env", "ITERATIONS must be an integer from 1 to 10000000");
  if (hm_str_eq(fn, "kv_get") && !hm_kv_set(ctx, HM_KV_STEP, "bench", "value", 5)) return 0;

  started = now_ns();
  if (hm_str_eq(fn, "log")) {
    for (i = 0; i < iterations && hm_log(ctx, HM_LOG_TRACE, "bench log record"); i++) continue;
  } else if (hm_str_eq(fn, "kv_get")) {
    for (i = 0; i < iterations && hm_kv_get(ctx, HM_KV_STEP, "bench", &got); i++) continue;
  } else if (hm_str_eq(fn, "kv_set")) {
    for (i = 0; i < iterations && hm_kv_set(ctx, HM_KV_STEP, "bench", "value", 5); i++) continue;
  } else if (hm_str_eq(fn, "should_cancel")) {
    for (i = 0; i < iterations && !hm_should_cancel(ctx); i++) continue;
  } else if (hm_str_eq(fn, "emit_step_logs")) {
    static char chunk[LINES_PER_CALL * (sizeof LINE - 1)];
    int64_t n;
    for (n = 0; n < LINES_PER_CALL; n++) memcpy(chunk + n * (int64_t)(sizeof LINE - 1), LINE, sizeof LINE - 1);
    for (i = 0; i < iterations; i += n) {
      n = iterations - i < LINES_PER_CALL ? iterations - i : LINES_PER_CALL;
      if (!hm_emit_step_logs(ctx, HM_STREAM_STDOUT, chunk, (size_t)n * (sizeof LINE - 1))) break;
    }
  } else if (hm_str_eq(fn, "emit_step_log")) {
    for (i = 0; i < iterations && hm_emit_step_log(ctx, HM_STREAM_STDOUT, "bench step log line", 19); i++) continue;
  } else {
    return hm_fail(ctx, "invalid_env", "unknown HOST_FN '" HM_STR_FMT "'", HM_STR_ARG(fn));
  }
  if (i < iterations) return hm_fail(ctx, "host_failed", "the host failed after %lld calls", (long long)i);
  out->exit_code = 0;
  out->committed_snapshot = hm_ctx_sprintf(ctx, "%lld", (long long)(now_ns() - started));
  return 1;
}

static const hm_capability capabilities[] = {
    {.kind = HM_CAP_STEP_EXECUTOR, .as.step_executor = {.runner = "bench-host-loop", .is_default = 0}},
};

static const hm_manifest manifest = {
    .name = "hm-bench-host-loop",
    .version = "0.1.0",
    .description = "Benchmark: calls one host function in a loop and times it",
    .capabilities = capabilities,
    .capability_count = sizeof capabilities / sizeof capabilities[0],
};

static const hm_plugin_def plugin = {.manifest = &manifest, .execute_step = host_loop};
HM_PLUGIN(plugin);
