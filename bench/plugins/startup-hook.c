/* startup-hook - bench plugin for the start-up benchmark: a lifecycle hook (it claims no runner
   and no verb, so any number of them can be installed side by side) whose name comes from
   -DBENCH_PLUGIN_NAME="\"name\"" at compile time. It is never called: start-up only opens it
   and reads its manifest. */
#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"

#ifndef BENCH_PLUGIN_NAME
#define BENCH_PLUGIN_NAME "hm-bench-startup"
#endif

static int on_event(hm_ctx *ctx, const hm_hook_event *in, hm_hook_outcome *out) {
  (void)ctx;
  (void)in;
  (void)out;
  return 1;
}

static const hm_hook_kind kinds[] = {HM_HOOK_BUILD_END};
static const hm_capability capabilities[] = {
    {.kind = HM_CAP_LIFECYCLE_HOOK,
     .as.lifecycle_hook = {.events = kinds, .event_count = 1, .phase = HM_HOOK_AFTER, .timeout_ms = 1000}},
};

static const hm_manifest manifest = {
    .name = BENCH_PLUGIN_NAME,
    .version = "0.1.0",
    .description = "Benchmark: an installed plugin that start-up must open",
    .capabilities = capabilities,
    .capability_count = sizeof capabilities / sizeof capabilities[0],
};

static const hm_plugin_def plugin = {.manifest = &manifest, .on_hook_event = on_event};
HM_PLUGIN(plugin);
