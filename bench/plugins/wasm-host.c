/* wasm-host - the noop-step plugin as a WebAssembly module (the Extism-style design hm replaced):
   the host copies the input into the module's memory, calls `bench_call`, and the module hands
   its result back through the imported `env.set_result(ptr, len)`, which the host copies out.

   Exports: bench_input(len) -> pointer to a buffer of at least len bytes (valid until the next
   bench_input); bench_call(len) -> hm_plugin_call's status for the input in that buffer. */
#include "hm_plugin.h"

#include <stdlib.h>

__attribute__((import_module("env"), import_name("set_result"))) extern void host_set_result(const uint8_t *ptr,
                                                                                             size_t len);

static uint8_t *input;
static size_t input_cap;

static int32_t set_result(hm_call *call, const uint8_t *bytes, size_t len) {
  (void)call;
  host_set_result(bytes, len);
  return HM_OK;
}

static int32_t keep_going(hm_call *call) {
  (void)call;
  return HM_OK;
}

static const hm_host_api api = {
    .abi_version = HM_PLUGIN_ABI_VERSION,
    .size = sizeof(hm_host_api),
    .keep_going = keep_going,
    .set_result = set_result,
};

__attribute__((export_name("bench_input"))) uint8_t *bench_input(size_t len) {
  if (len > input_cap) {
    free(input);
    input = malloc(len);
    input_cap = input ? len : 0;
  }
  return input;
}

__attribute__((export_name("bench_call"))) int32_t bench_call(size_t len) {
  return hm_plugin_call(&api, NULL, HM_METHOD_EXECUTE_STEP, input, len);
}
