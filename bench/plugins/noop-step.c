/* noop-step - bench plugin "hm-bench-noop": step executor for runner `bench-noop`.

   The SDK decodes the ExecutorInput and encodes a StepResult (exit 0); the step itself does
   nothing and calls no host function. The same source is built four ways for the plugin call
   round-trip benchmark: a shared library hm loads, an exec-per-call executable and a pipe server
   (bench/plugins/stdio-host.c), and a WebAssembly module (bench/plugins/wasm-host.c). */
#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"

static int noop_execute(hm_ctx *ctx, const hm_executor_input *in, hm_step_result *out) {
  (void)ctx;
  (void)in;
  out->exit_code = 0;
  return 1;
}

static const hm_capability capabilities[] = {
    {.kind = HM_CAP_STEP_EXECUTOR, .as.step_executor = {.runner = "bench-noop", .is_default = 0}},
};

static const hm_manifest manifest = {
    .name = "hm-bench-noop",
    .version = "0.1.0",
    .description = "Benchmark: a step executor that decodes its input and does nothing",
    .capabilities = capabilities,
    .capability_count = sizeof capabilities / sizeof capabilities[0],
};

static const hm_plugin_def plugin = {.manifest = &manifest, .execute_step = noop_execute};
HM_PLUGIN(plugin);
