/**
 * kv_get's read caches (the SDK's, through host slot kv_write_count, and the worker's) never
 * answer with a value that a write has replaced: with a real compiled plugin reading a key in a
 * loop, a write by the same call, by another call on another worker, by hm's main thread, or
 * (plugin scope) by another process is seen by the next read. Each test runs twice: with the
 * SDK's cache, and built with HM_PLUGIN_NO_KV_CACHE, where only the worker's cache is left.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { silentLogger } from "../../src/log.ts";
import { KvStore } from "../../src/plugins/kv-store.ts";
import { callPlugin } from "../../src/plugins/plugin-call.ts";
import { openPlugin, type PluginEntry } from "../../src/plugins/registry.ts";
import { WorkerPool } from "../../src/plugins/worker-pool.ts";
import { decodeStepResult, encodeExecutorInput } from "../../src/protocol/index.ts";
import { executorInput } from "../helpers/executor-input.ts";
import { tempDir } from "../helpers/hm.ts";
import { compilePlugin } from "../helpers/native.ts";

const scratch = tempDir("hm-kv-cache-");
const kvPath = join(scratch.path, "kv.sqlite");
afterAll(() => scratch.cleanup());
let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/**
 * Runner `kv-watch`, by env MODE, on key KEY of scope SCOPE (plugin, build or step):
 * - watch: reads the key, emits the step log line "first <value>", then reads it again every
 *   millisecond for up to 10 s; exit 0 and the line "changed <value>" once it differs, exit 1
 *   ("stale <value>") if it never does.
 * - set: sets the key to VALUE.
 * - own: reads the key, sets it to VALUE, reads it again: exit 0 if the second read gives VALUE.
 * "<absent>" stands for no value.
 */
const SOURCE = `#define _POSIX_C_SOURCE 200809L
#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
#include <string.h>
#include <time.h>
static hm_kv_scope scope_of(hm_str s) {
  return hm_str_eq(s, "plugin") ? HM_KV_PLUGIN : hm_str_eq(s, "build") ? HM_KV_BUILD : HM_KV_STEP;
}
static char *text(hm_ctx *ctx, hm_bytes b) {
  hm_str s;
  if (!b.ptr) return "<absent>";
  s.ptr = (const char *)b.ptr;
  s.len = b.len;
  return hm_ctx_strdup(ctx, s);
}
static int run(hm_ctx *ctx, const hm_executor_input *in, hm_step_result *out) {
  hm_str mode, scope_name, key_str, value = {"", 0};
  hm_kv_scope scope;
  const char *key;
  hm_bytes b;
  char *first, *now;
  int i;
  if (!hm_str_map_get(in->env, "MODE", &mode) || !hm_str_map_get(in->env, "SCOPE", &scope_name) ||
      !hm_str_map_get(in->env, "KEY", &key_str))
    return hm_fail(ctx, "env", "MODE, SCOPE and KEY are required");
  hm_str_map_get(in->env, "VALUE", &value);
  scope = scope_of(scope_name);
  key = hm_ctx_strdup(ctx, key_str);
  if (hm_str_eq(mode, "set")) {
    if (!hm_kv_set(ctx, scope, key, value.ptr, value.len)) return 0;
    out->exit_code = 0;
    return 1;
  }
  if (!hm_kv_get(ctx, scope, key, &b)) return 0;
  first = text(ctx, b);
  if (hm_str_eq(mode, "own")) {
    if (!hm_kv_set(ctx, scope, key, value.ptr, value.len) || !hm_kv_get(ctx, scope, key, &b)) return 0;
    now = text(ctx, b);
    hm_emit_step_log(ctx, HM_STREAM_STDOUT, now, strlen(now));
    out->exit_code = b.ptr && b.len == value.len && memcmp(b.ptr, value.ptr, value.len) == 0 ? 0 : 1;
    return 1;
  }
  hm_emit_step_log(ctx, HM_STREAM_STDOUT, hm_ctx_sprintf(ctx, "first %s", first), 6 + strlen(first));
  for (i = 0; i < 10000 && hm_keep_going(ctx); i++) {
    struct timespec ms = {0, 1000000};
    if (!hm_kv_get(ctx, scope, key, &b)) return 0;
    now = text(ctx, b);
    if (strcmp(now, first) != 0) {
      hm_emit_step_log(ctx, HM_STREAM_STDOUT, hm_ctx_sprintf(ctx, "changed %s", now), 8 + strlen(now));
      out->exit_code = 0;
      return 1;
    }
    nanosleep(&ms, NULL);
  }
  hm_emit_step_log(ctx, HM_STREAM_STDOUT, hm_ctx_sprintf(ctx, "stale %s", first), 6 + strlen(first));
  out->exit_code = 1;
  return 1;
}
static const hm_capability caps[] = {{.kind = HM_CAP_STEP_EXECUTOR, .as.step_executor = {.runner = "kv-watch"}}};
static const hm_manifest manifest = {.name = "kv-watch", .version = "0.1.0", .description = "watches a KV key",
  .capabilities = caps, .capability_count = 1};
static const hm_plugin_def plugin = {.manifest = &manifest, .execute_step = run};
HM_PLUGIN(plugin);
`;

const entries = new Map<string, PluginEntry>();
/** The plugin, with or without the SDK's cache (each build in its own directory). */
function plugin(sdkCache: boolean): PluginEntry {
  const variant = sdkCache ? "sdk-cache" : "host-cache-only";
  const known = entries.get(variant);
  if (known !== undefined) return known;
  const source = sdkCache ? SOURCE : `#define HM_PLUGIN_NO_KV_CACHE\n${SOURCE}`;
  const opened = openPlugin(compilePlugin(join(scratch.path, variant), "kv-watch", source), "user");
  if (!("entry" in opened)) throw new Error(opened.broken.reason);
  entries.set(variant, opened.entry);
  return opened.entry;
}
/** Which build the tests below call (set by each describe block). */
let sdkCache = true;
/** A key of this describe block's own: the two blocks share one database. */
const k = (name: string) => `${name}-${sdkCache ? "sdk" : "host"}`;

const RUN_ID = "11111111-2222-4333-8444-555555555555";
const STEP_ID = "66666666-7777-4888-9999-aaaaaaaaaaaa";

/** Starts a kv-watch call; `lines` collects its step log lines. */
function start(env: Record<string, string>, lines: string[] = []) {
  const input = executorInput("watch", { runner: "kv-watch", env });
  const call = callPlugin(
    pool as WorkerPool,
    plugin(sdkCache),
    "executeStep",
    encodeExecutorInput(input),
    { runId: RUN_ID, stepId: STEP_ID, configDir: null, archives: {}, kvPath },
    decodeStepResult,
    silentLogger(),
    { onStepLog: (_stream, line) => lines.push(new TextDecoder().decode(line)) },
  );
  return { result: call.result, lines };
}

/** Resolves once `lines` holds a line starting with `prefix`. */
async function lineStarting(lines: string[], prefix: string): Promise<void> {
  for (let waited = 0; !lines.some((l) => l.startsWith(prefix)); waited += 5) {
    if (waited > 20_000) throw new Error(`no line starting with '${prefix}' (got ${JSON.stringify(lines)})`);
    await Bun.sleep(5);
  }
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe.each([
  ["with the SDK's cache", true],
  ["with the worker's cache only (HM_PLUGIN_NO_KV_CACHE)", false],
])("%s", (_name, withSdkCache) => {
  test("a call's own kv_set is seen by its next kv_get, in the build and step scopes, absent or present before", async () => {
    sdkCache = withSdkCache as boolean;
    pool = new WorkerPool(1);
    for (const scope of ["build", "step"]) {
      for (const key of [k(`absent-${scope}`), k(`present-${scope}`)]) {
        if (key.startsWith("present"))
          await start({ MODE: "set", SCOPE: scope, KEY: key, VALUE: "old" }).result;
        const own = start({ MODE: "own", SCOPE: scope, KEY: key, VALUE: "new" });
        expect((await own.result).exit_code).toBe(0);
        expect(own.lines).toEqual(["new"]);
      }
    }
  });

  test("a kv_set by another call on another worker is seen by a call reading the same build-scope key", async () => {
    sdkCache = withSdkCache as boolean;
    pool = new WorkerPool(2);
    await start({ MODE: "set", SCOPE: "build", KEY: k("shared"), VALUE: "before" }).result;
    const watch = start({ MODE: "watch", SCOPE: "build", KEY: k("shared") });
    await lineStarting(watch.lines, "first ");
    expect(
      (await start({ MODE: "set", SCOPE: "build", KEY: k("shared"), VALUE: "after" }).result).exit_code,
    ).toBe(0);
    expect((await watch.result).exit_code).toBe(0);
    expect(watch.lines).toEqual(["first before", "changed after"]);
  });

  test("a step-scope write by hm's main thread (its own KV connection) is seen by the running call", async () => {
    sdkCache = withSdkCache as boolean;
    pool = new WorkerPool(1);
    const watch = start({ MODE: "watch", SCOPE: "step", KEY: k("from-hm") });
    await lineStarting(watch.lines, "first ");
    const kv = new KvStore(kvPath);
    kv.set("step", STEP_ID, bytes(k("from-hm")), bytes("written"));
    kv.close();
    expect((await watch.result).exit_code).toBe(0);
    expect(watch.lines).toEqual(["first <absent>", "changed written"]);
  });

  test("a plugin-scope write by another process is seen by the running call", async () => {
    sdkCache = withSdkCache as boolean;
    pool = new WorkerPool(1);
    const watch = start({ MODE: "watch", SCOPE: "plugin", KEY: k("elsewhere") });
    await lineStarting(watch.lines, "first ");
    const writer = Bun.spawnSync([
      process.execPath,
      "-e",
      `const { Database } = require("bun:sqlite");
       const db = new Database(${JSON.stringify(kvPath)});
       db.exec("PRAGMA busy_timeout = 10000");
       db.query("INSERT OR REPLACE INTO kv (scope, owner, key, value) VALUES ('plugin', 'kv-watch', ?, ?)")
         .run(new TextEncoder().encode(${JSON.stringify(k("elsewhere"))}), new TextEncoder().encode("other process"));`,
    ]);
    expect(writer.exitCode).toBe(0);
    expect((await watch.result).exit_code).toBe(0);
    expect(watch.lines).toEqual(["first <absent>", "changed other process"]);
  });
});
