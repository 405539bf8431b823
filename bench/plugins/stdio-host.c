/* stdio-host - runs the noop-step plugin (linked in statically) outside hm, speaking over stdin
   and stdout, for the two out-of-process designs of the plugin call benchmark:

     stdio-host            exec-per-call (kubectl/gh/cargo plugins): reads one ExecutorInput (all
                           of stdin), writes the StepResult to stdout, exits 0 (1 on failure).
     stdio-host --serve    a long-lived plugin process (go-plugin style): reads frames
                           [u32 LE length][ExecutorInput] until EOF and answers each with
                           [i32 LE status][u32 LE length][StepResult or PluginError].

   A standalone host runs on one thread, so the result buffer can be a plain global here. */
#define _POSIX_C_SOURCE 200809L
#include "hm_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint8_t *result;
static size_t result_len, result_cap;

static int32_t set_result(hm_call *call, const uint8_t *bytes, size_t len) {
  (void)call;
  if (len > result_cap) {
    uint8_t *grown = realloc(result, len);
    if (!grown) return 0;
    result = grown;
    result_cap = len;
  }
  if (len > 0) memcpy(result, bytes, len);
  result_len = len;
  return HM_OK;
}

static int32_t keep_going(hm_call *call) {
  (void)call;
  return HM_OK;
}

static int32_t log_record(hm_call *call, uint32_t level, const uint8_t *msg, size_t len) {
  (void)call;
  (void)level;
  (void)msg;
  (void)len;
  return HM_OK;
}

static const hm_host_api api = {
    .abi_version = HM_PLUGIN_ABI_VERSION,
    .size = sizeof(hm_host_api),
    .log = log_record,
    .keep_going = keep_going,
    .set_result = set_result,
};

static int read_exactly(uint8_t *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = read(0, buf + done, len - done);
    if (n <= 0) return 0;
    done += (size_t)n;
  }
  return 1;
}

static int write_all(const uint8_t *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(1, buf, len);
    if (n <= 0) return 0;
    buf += n;
    len -= (size_t)n;
  }
  return 1;
}

static int serve(void) {
  uint8_t *input = NULL, header[8];
  size_t cap = 0;
  for (;;) {
    uint32_t len;
    int32_t status;
    if (!read_exactly(header, 4)) return 0; /* EOF: the host is done */
    len = (uint32_t)header[0] | (uint32_t)header[1] << 8 | (uint32_t)header[2] << 16 | (uint32_t)header[3] << 24;
    if (len > cap) {
      uint8_t *grown = realloc(input, len);
      if (!grown) return 1;
      input = grown;
      cap = len;
    }
    if (!read_exactly(input, len)) return 1;
    result_len = 0;
    status = hm_plugin_call(&api, NULL, HM_METHOD_EXECUTE_STEP, input, len);
    memcpy(header, &status, 4);
    header[4] = (uint8_t)result_len;
    header[5] = (uint8_t)(result_len >> 8);
    header[6] = (uint8_t)(result_len >> 16);
    header[7] = (uint8_t)(result_len >> 24);
    if (!write_all(header, 8) || !write_all(result, result_len)) return 1;
  }
}

static int once(void) {
  uint8_t *input = NULL;
  size_t len = 0, cap = 0;
  ssize_t n;
  do {
    if (len == cap) {
      uint8_t *grown = realloc(input, cap ? cap * 2 : 4096);
      if (!grown) return 1;
      input = grown;
      cap = cap ? cap * 2 : 4096;
    }
    n = read(0, input + len, cap - len);
    if (n > 0) len += (size_t)n;
  } while (n > 0);
  if (hm_plugin_call(&api, NULL, HM_METHOD_EXECUTE_STEP, input, len) != HM_OK) return 1;
  return write_all(result, result_len) ? 0 : 1;
}

int main(int argc, char **argv) {
  return argc > 1 && strcmp(argv[1], "--serve") == 0 ? serve() : once();
}
