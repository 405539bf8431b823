/**
 * The plugin runtime with real compiled fixtures on real worker threads:
 * execute_step results, KV scopes in SQLite, cancellation through shared
 * memory, a blocking call that leaves the main thread free, concurrent KV
 * writers, and plugin errors named by plugin and method.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { HmError } from "../../src/errors.ts";
import { createLogger, routeLines, silentLogger } from "../../src/log.ts";
import { KvStore } from "../../src/plugins/kv-store.ts";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { callPlugin } from "../../src/plugins/plugin-call.ts";
import { openPlugin, type PluginEntry } from "../../src/plugins/registry.ts";
import { WorkerPool } from "../../src/plugins/worker-pool.ts";
import {
  decodeExecutorInput,
  decodeStepResult,
  type ExecutorInput,
  encodeExecutorInput,
} from "../../src/protocol/index.ts";
import { executorInput } from "../helpers/executor-input.ts";
import { REPO_ROOT, tempDir } from "../helpers/hm.ts";
import { compilePlugin, type FixtureName, fixturePath } from "../helpers/native.ts";

const state = tempDir("hm-runtime-state-");
const kvPath = join(state.path, "kv.sqlite");
afterAll(() => state.cleanup());

let pool: WorkerPool;
afterEach(async () => {
  await pool?.close();
});

/** Fixtures this file adds beyond test/helpers/native.ts's list (built by scripts/build-native.ts). */
type LocalFixture = "flood-runner";

function plugin(name: FixtureName | LocalFixture): PluginEntry {
  const path =
    name === "flood-runner"
      ? join(REPO_ROOT, "build", "fixtures", `${name}.${LIBRARY_EXTENSION}`)
      : fixturePath(name);
  const opened = openPlugin(path, "user");
  if (!("entry" in opened)) throw new Error(opened.broken.reason);
  return opened.entry;
}

function execute(
  entry: PluginEntry,
  input: ExecutorInput,
  onStepLog?: (line: string) => void,
  archives: Record<string, string> = {},
) {
  return callPlugin(
    pool,
    entry,
    "executeStep",
    encodeExecutorInput(input),
    { runId: input.run_id, stepId: input.step_id, configDir: null, archives, kvPath },
    decodeStepResult,
    silentLogger(),
    onStepLog ? { onStepLog: (_stream, line) => onStepLog(new TextDecoder().decode(line)) } : {},
  );
}

describe("plugin runtime", () => {
  test("the noop executor returns exit 0 and records its exact input in plugin KV", async () => {
    pool = new WorkerPool(2);
    const input = executorInput("build");
    const result = await execute(plugin("noop-executor"), input).result;
    expect(result).toEqual({ exit_code: 0, committed_snapshot: null, artifacts: [] });
    const kv = new KvStore(kvPath);
    const seen = kv.get("plugin", "harmont-fixture-noop", new TextEncoder().encode("seen:build"));
    kv.close();
    expect(seen).not.toBeNull();
    expect(decodeExecutorInput(seen as Uint8Array)).toEqual(input);
  });

  test("a step's runner reaches the freestyle plugin, whose KV state is visible afterwards", async () => {
    pool = new WorkerPool(1);
    await execute(plugin("freestyle-runner"), executorInput("fs-step")).result;
    const kv = new KvStore(kvPath);
    const value = kv.get(
      "plugin",
      "harmont-fixture-freestyle",
      new TextEncoder().encode("freestyle_called_with"),
    );
    kv.close();
    expect(new TextDecoder().decode(value as Uint8Array)).toBe("fs-step");
  });

  test("archive_read and archive_total_size serve the registered archive's exact bytes, in chunks", async () => {
    pool = new WorkerPool(1);
    const bytes = crypto.getRandomValues(new Uint8Array(100_003));
    const archivePath = join(state.path, "workspace.tar");
    await Bun.write(archivePath, bytes);
    const input = executorInput("archived", { env: { NOOP_READ_ARCHIVE: "1" } });
    const unknown = executorInput("no-archive", { env: { NOOP_READ_ARCHIVE: "1" } });
    await execute(plugin("noop-executor"), input, undefined, { [input.workspace_archive_id]: archivePath })
      .result;
    await execute(plugin("noop-executor"), unknown, undefined, { [input.workspace_archive_id]: archivePath })
      .result;
    const kv = new KvStore(kvPath);
    const stored = kv.get("plugin", "harmont-fixture-noop", new TextEncoder().encode("archive:archived"));
    const none = kv.get("plugin", "harmont-fixture-noop", new TextEncoder().encode("archive:no-archive"));
    kv.close();
    expect(stored).toEqual(bytes);
    expect(none?.length).toBe(0);
  });

  test("step log lines arrive in order, bound to the call", async () => {
    pool = new WorkerPool(1);
    const lines: string[] = [];
    await execute(plugin("noop-executor"), executorInput("logs", { env: { NOOP_LOG_LINES: "50" } }), (l) =>
      lines.push(l),
    ).result;
    expect(lines).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i + 1}`));
  });

  test("log records and step log lines share one ordered stream", async () => {
    pool = new WorkerPool(1);
    const seen: string[] = [];
    const input = executorInput("mixed", { env: { NOOP_LOG_LINES: "3" } });
    await callPlugin(
      pool,
      plugin("noop-executor"),
      "executeStep",
      encodeExecutorInput(input),
      { runId: input.run_id, stepId: input.step_id, configDir: null, archives: {}, kvPath },
      decodeStepResult,
      silentLogger(),
      {
        onLog: (level, message) => seen.push(`log ${level} ${message}`),
        onStepLog: (_stream, line) => seen.push(new TextDecoder().decode(line)),
      },
    ).result;
    // The fixture logs, then emits its lines: the record arrives first, decoded, with its level.
    expect(seen).toEqual(["log 2 noop ran step 'mixed'", "line 1", "line 2", "line 3"]);
  });

  test("a plugin's log records reach the logger it is given, shown as [plugin] message", async () => {
    pool = new WorkerPool(1);
    const logger = createLogger({ verbose: false });
    const shown: string[] = [];
    routeLines(logger, (line) => shown.push(Bun.stripANSI(line)));
    for (const key of ["first", "second"]) {
      const input = executorInput(key, { env: {} });
      await callPlugin(
        pool,
        plugin("noop-executor"),
        "executeStep",
        encodeExecutorInput(input),
        { runId: input.run_id, stepId: input.step_id, configDir: null, archives: {}, kvPath },
        decodeStepResult,
        logger,
      ).result;
    }
    expect(shown).toEqual([
      "▶ [harmont-fixture-noop] noop ran step 'first'",
      "▶ [harmont-fixture-noop] noop ran step 'second'",
    ]);
  });

  test("a call that blocks for 2 s leaves the main thread's timer ticking", async () => {
    pool = new WorkerPool(1);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const started = performance.now();
    const result = await execute(
      plugin("noop-executor"),
      executorInput("slow", { env: { NOOP_SLEEP_MS: "2000" } }),
    ).result;
    clearInterval(timer);
    expect(result.exit_code).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    // 2 s at one tick per 20 ms is ~100 ticks; a stalled main thread would show almost none.
    expect(ticks).toBeGreaterThan(50);
  });

  test("cancel makes keep_going answer stop, and the plugin ends the step with 130", async () => {
    pool = new WorkerPool(1);
    const call = execute(
      plugin("noop-executor"),
      executorInput("cancelled", { env: { NOOP_SLEEP_MS: "10000" } }),
    );
    await Bun.sleep(100);
    call.cancel();
    const result = await call.result;
    // 130 only if keep_going said stop: a plugin never told would sleep its 10 s and return 0
    // (a 1 s wall-time bound said the same, and a loaded machine could break it).
    expect(result.exit_code).toBe(130);
  });

  test("cancelling a call that already ended does not stop the next call on its slot", async () => {
    pool = new WorkerPool(1);
    const first = execute(plugin("noop-executor"), executorInput("first"));
    await first.result;
    const second = execute(
      plugin("noop-executor"),
      executorInput("second", { env: { NOOP_SLEEP_MS: "200" } }),
    );
    first.cancel();
    expect((await second.result).exit_code).toBe(0);
  });

  test("parallel calls run on separate workers at the same time", async () => {
    pool = new WorkerPool(4);
    // Each call logs a line, then waits on keep_going for a minute: the fourth line arrives
    // before the first call ends only if all four run at once.
    let running = 0;
    const { promise: allRunning, resolve } = Promise.withResolvers<void>();
    const env = { NOOP_LOG_LINES: "1", NOOP_SLEEP_MS: "60000" };
    const calls = [1, 2, 3, 4].map((i) =>
      execute(plugin("noop-executor"), executorInput(`p${i}`, { env }), () => {
        if (++running === 4) resolve();
      }),
    );
    await allRunning;
    for (const call of calls) call.cancel();
    const results = await Promise.all(calls.map((call) => call.result));
    expect(results.map((r) => r.exit_code)).toEqual([130, 130, 130, 130]);
  });

  test("a PluginError is reported with the plugin's name and the method", async () => {
    pool = new WorkerPool(1);
    const dir = tempDir("hm-erroring-");
    try {
      const path = compilePlugin(
        dir.path,
        "erroring",
        `#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
static int run(hm_ctx *ctx, const hm_executor_input *in, hm_step_result *out) {
  (void)in; (void)out;
  return hm_fail(ctx, "disk_full", "no space left for step");
}
static const hm_capability caps[] = { {.kind = HM_CAP_STEP_EXECUTOR, .as.step_executor = {.runner = "erroring"}} };
static const hm_manifest manifest = { .name = "erroring", .version = "0.1.0", .description = "x", .capabilities = caps, .capability_count = 1 };
static const hm_plugin_def def = { .manifest = &manifest, .execute_step = run };
HM_PLUGIN(def);`,
      );
      const opened = openPlugin(path, "user");
      if (!("entry" in opened)) throw new Error(opened.broken.reason);
      const error = await execute(opened.entry, executorInput("x")).result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HmError);
      expect((error as HmError).exitCode).toBe(6);
      expect((error as HmError).message).toBe(
        "plugin 'erroring' failed during 'execute_step': no space left for step (disk_full)",
      );
    } finally {
      dir.cleanup();
    }
  });
});

/** The call's result, or "hung" (and the call abandoned) when it has not ended after `ms`. */
async function settleWithin<T>(call: { result: Promise<T>; abandon(): void }, ms: number) {
  const timer = Bun.sleep(ms).then(() => "hung" as const);
  const outcome = await Promise.race([
    call.result.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    timer,
  ]);
  if (outcome === "hung") {
    call.result.catch(() => {});
    call.abandon();
  }
  return outcome;
}

describe("a plugin that calls hm from a thread it started", () => {
  test("the SDK refuses the call with a wrong_thread error naming the helper, instead of hanging", async () => {
    pool = new WorkerPool(1);
    const outcome = await settleWithin(
      execute(plugin("flood-runner"), executorInput("foreign", { env: { FLOOD_FOREIGN: "1" } })),
      10_000,
    );
    expect(outcome).not.toBe("hung");
    const error = (outcome as { error?: unknown }).error;
    expect(error).toBeInstanceOf(HmError);
    expect((error as HmError).message).toBe(
      "plugin 'harmont-fixture-flood' failed during 'execute_step': execute_step: hm_log called from a thread " +
        "that is not the call's thread (host functions may only be called on the thread that entered " +
        "hm_plugin_call) (wrong_thread)",
    );
    // Both helpers returned 0 on the foreign thread; the plugin recorded that through the raw table.
    const kv = new KvStore(kvPath);
    const record = kv.get("plugin", "harmont-fixture-flood", new TextEncoder().encode("foreign:foreign"));
    kv.close();
    expect(new TextDecoder().decode(record as Uint8Array)).toBe("log=0 step_log=0");
  });
});

describe("KV store", () => {
  test("8 workers × 500 concurrent writes and increments lose nothing", async () => {
    const path = join(state.path, "concurrent.sqlite");
    new KvStore(path).close();
    const source = `
      import { KvStore } from ${JSON.stringify(join(import.meta.dir, "../../src/plugins/kv-store.ts"))};
      self.onmessage = ({ data }) => {
        const kv = new KvStore(data.path);
        const enc = new TextEncoder();
        for (let i = 0; i < 500; i++) {
          kv.set("plugin", "writer", enc.encode(\`w\${data.worker}:\${i}\`), enc.encode(String(i)));
          kv.update("plugin", "writer", enc.encode("counter"), (old) => enc.encode(String(Number(old ? new TextDecoder().decode(old) : "0") + 1)));
        }
        kv.close();
        postMessage("done");
      };`;
    const file = join(state.path, "kv-writer.ts");
    await Bun.write(file, source);
    await Promise.all(
      Array.from({ length: 8 }, (_, worker) => {
        const w = new Worker(file);
        return new Promise<void>((resolve, reject) => {
          w.onmessage = () => {
            w.terminate();
            resolve();
          };
          w.onerror = (e) => reject(new Error(e.message));
          w.postMessage({ path, worker });
        });
      }),
    );
    const kv = new KvStore(path);
    const counter = kv.get("plugin", "writer", new TextEncoder().encode("counter"));
    let keys = 0;
    for (let w = 0; w < 8; w++) {
      for (let i = 0; i < 500; i++)
        if (kv.get("plugin", "writer", new TextEncoder().encode(`w${w}:${i}`)) !== null) keys++;
    }
    kv.close();
    expect(keys).toBe(4000);
    expect(new TextDecoder().decode(counter as Uint8Array)).toBe("4000");
  }, 60_000);

  test("scopes are isolated: plugin by name, build by run, step by step", () => {
    const kv = new KvStore(join(state.path, "scopes.sqlite"));
    const key = new TextEncoder().encode("k");
    const value = (s: string) => new TextEncoder().encode(s);
    kv.set("plugin", "a", key, value("plugin-a"));
    kv.set("plugin", "b", key, value("plugin-b"));
    kv.set("build", "run-1", key, value("build-1"));
    kv.set("step", "step-1", key, value("step-1"));
    expect(new TextDecoder().decode(kv.get("plugin", "a", key) as Uint8Array)).toBe("plugin-a");
    expect(new TextDecoder().decode(kv.get("plugin", "b", key) as Uint8Array)).toBe("plugin-b");
    kv.dropOwner("build", "run-1");
    expect(kv.get("build", "run-1", key)).toBeNull();
    expect(kv.get("step", "step-1", key)).not.toBeNull();
    kv.close();
  });
});
