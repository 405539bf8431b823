/**
 * The `emit_step_logs` host function (slot 12) with a real compiled plugin on a real worker:
 * many lines per call arrive as the same lines, in order, as one `emit_step_log` per line would
 * give them, including lines longer than a whole batch, empty lines, a last line without its
 * newline, and chunks that fill the batch part-way through.
 */
import { afterAll, afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { silentLogger } from "../../src/log.ts";
import { callPlugin } from "../../src/plugins/plugin-call.ts";
import { openPlugin } from "../../src/plugins/registry.ts";
import { WorkerPool } from "../../src/plugins/worker-pool.ts";
import { decodeStepResult, encodeExecutorInput } from "../../src/protocol/index.ts";
import { executeStepContext, executorInput } from "../helpers/executor-input.ts";
import { tempDir } from "../helpers/hm.ts";
import { compilePlugin } from "../helpers/native.ts";

const scratch = tempDir("hm-emit-step-logs-");
afterAll(() => scratch.cleanup());
let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
});

/**
 * Emits, with hm_emit_step_logs on stdout unless said otherwise:
 * - 3000 numbered lines in chunks of 7 lines (so chunks straddle the 512-line batch);
 * - "crlf\r\n", an empty line, "last without newline" (one chunk);
 * - a 300 000-byte line of 'x' (longer than a whole batch) between two short ones;
 * - "err line\n" on stderr;
 * - then with hm_emit_step_log, "single" (the two functions share one ordered stream).
 */
const SOURCE = `#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int run(hm_ctx *ctx, const hm_executor_input *in, hm_step_result *out) {
  char chunk[256];
  size_t used = 0, big_len = 300000;
  char *big = malloc(big_len + 32);
  int i;
  (void)in;
  if (!big) return hm_fail(ctx, "oom", "no memory");
  for (i = 1; i <= 3000; i++) {
    used += (size_t)sprintf(chunk + used, "n%d\\n", i);
    if (i % 7 == 0 || i == 3000) {
      if (!hm_emit_step_logs(ctx, HM_STREAM_STDOUT, chunk, used)) return 0;
      used = 0;
    }
  }
  if (!hm_emit_step_logs(ctx, HM_STREAM_STDOUT, "crlf\\r\\n\\nlast without newline", 27)) return 0;
  memcpy(big, "before\\n", 7);
  memset(big + 7, 'x', big_len);
  memcpy(big + 7 + big_len, "\\nafter\\n", 7);
  if (!hm_emit_step_logs(ctx, HM_STREAM_STDOUT, big, big_len + 14)) return 0;
  free(big);
  if (!hm_emit_step_logs(ctx, HM_STREAM_STDERR, "err line\\n", 9)) return 0;
  if (!hm_emit_step_logs(ctx, HM_STREAM_STDERR, "", 0)) return 0;
  if (!hm_emit_step_log(ctx, HM_STREAM_STDOUT, "single", 6)) return 0;
  out->exit_code = 0;
  return 1;
}
static const hm_capability caps[] = {{.kind = HM_CAP_STEP_EXECUTOR, .as.step_executor = {.runner = "batches"}}};
static const hm_manifest manifest = {.name = "batch-lines", .version = "0.1.0", .description = "emits lines in batches",
  .capabilities = caps, .capability_count = 1};
static const hm_plugin_def plugin = {.manifest = &manifest, .execute_step = run, .needs = HM_NEEDS_EMIT_STEP_LOGS};
HM_PLUGIN(plugin);
`;

test("emit_step_logs delivers each line of each chunk once, in order, on its stream", async () => {
  const library = compilePlugin(join(scratch.path, "lib"), "batch-lines", SOURCE);
  const opened = openPlugin(library, "user");
  if (!("entry" in opened)) throw new Error(opened.broken.reason);
  pool = new WorkerPool(1);
  const seen: string[] = [];
  const utf8 = new TextDecoder();
  const input = executorInput("batches", { runner: "batches" });
  const call = callPlugin(
    pool,
    opened.entry,
    "executeStep",
    encodeExecutorInput(input),
    executeStepContext(input, join(scratch.path, "kv")),
    decodeStepResult,
    silentLogger(),
    // As the run's executor does: a trailing newline (or CRLF) is not part of the line.
    { onStepLog: (stream, line) => seen.push(`${stream} ${utf8.decode(line).replace(/\r?\n$/, "")}`) },
  );
  const result = await call.result;
  expect(result.exit_code).toBe(0);
  expect(seen).toEqual([
    ...Array.from({ length: 3000 }, (_, i) => `0 n${i + 1}`),
    "0 crlf",
    "0 ",
    "0 last without newline",
    "0 before",
    `0 ${"x".repeat(300_000)}`,
    "0 after",
    "1 err line",
    "0 single",
  ]);
});
