/**
 * What a plugin emits, with the real flood-runner fixture: 2 GB of log records and step lines
 * through `hm run` keep hm's peak RSS (VmHWM) under 300 MB, and step lines a plugin emitted
 * before it hung are published when hm gives up on the call.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../../src/log.ts";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { callPlugin } from "../../src/plugins/plugin-call.ts";
import { openPlugin, type PluginEntry } from "../../src/plugins/registry.ts";
import { WorkerPool } from "../../src/plugins/worker-pool.ts";
import { decodeStepResult, encodeExecutorInput } from "../../src/protocol/index.ts";
import { executeStepContext, executorInput } from "../helpers/executor-input.ts";
import { baseEnv, REPO_ROOT, runDirs, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { makeProject } from "../helpers/project.ts";

const FIXTURE = join(REPO_ROOT, "build", "fixtures", `flood-runner.${LIBRARY_EXTENSION}`);
const scratch = tempDir("hm-plugin-output-");
afterAll(() => scratch.cleanup());

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

function flood(): PluginEntry {
  const opened = openPlugin(FIXTURE, "user");
  if (!("entry" in opened)) throw new Error(opened.broken.reason);
  return opened.entry;
}

/** What FLOOD_MIXED=n emits, as `floodCall` records it: records, single lines and chunks in turn. */
function mixedExpected(count: number): string[] {
  const out: string[] = [];
  for (let i = 1; i <= count; i++) {
    if (i % 3 === 1) out.push(`log 2 record ${i} ü`);
    else if (i % 3 === 2) out.push(`0 line ${i}`);
    else out.push(`1 chunk ${i} a`, `1 chunk ${i} b`);
  }
  return out;
}

/** Runs the flood fixture with `env`, recording each record and step line as it reaches the handlers. */
function floodCall(key: string, env: Record<string, string>) {
  const seen: string[] = [];
  let settled = false;
  const input = executorInput(key, { env });
  const call = callPlugin(
    pool as WorkerPool,
    flood(),
    "executeStep",
    encodeExecutorInput(input),
    executeStepContext(input, join(scratch.path, "kv")),
    decodeStepResult,
    silentLogger(),
    {
      onLog: (level, message) => seen.push(`log ${level} ${message}`),
      onStepLog: (stream, line) =>
        seen.push(`${stream} ${new TextDecoder().decode(line).replace(/\n$/, "")}`),
    },
  );
  const result = call.result.finally(() => {
    settled = true;
  });
  result.catch(() => {});
  return { call, result, seen, settledWhenSeen: () => settled };
}

describe("log records and step lines of one call", () => {
  test("100 000 records, lines and chunks, records not ASCII, all arrive once and in the order made", async () => {
    pool = new WorkerPool(1);
    const { result, seen } = floodCall("mixed", { FLOOD_MIXED: "100000" });
    await result;
    const expected = mixedExpected(100_000);
    expect(seen.length).toBe(expected.length);
    expect(seen).toEqual(expected);
  }, 60_000);

  test("a record logged just before the plugin blocks without polling shows while it blocks", async () => {
    pool = new WorkerPool(1);
    const shownWhile: boolean[] = [];
    const { result, seen, settledWhenSeen } = floodCall("blocks", {
      FLOOD_MIXED: "2",
      FLOOD_HANG_MS: "3000",
    });
    const watch = setInterval(() => {
      if (seen.length > shownWhile.length) shownWhile.push(!settledWhenSeen());
    }, 5);
    await result;
    clearInterval(watch);
    expect(seen).toEqual(["log 2 record 1 ü", "0 line 2"]);
    // Both arrived while the call was still blocked in native code, not with its end.
    expect(shownWhile[0]).toBe(true);
  }, 15_000);

  test("a call that fails right after its output still delivers all of it, before the failure", async () => {
    pool = new WorkerPool(1);
    const { result, seen } = floodCall("fails", { FLOOD_MIXED: "30", FLOOD_FAIL: "1" });
    let failure = "";
    await result.catch((error: Error) => {
      failure = `${error.message} after ${seen.length}`;
    });
    expect(failure).toContain("flood_failed");
    expect(failure).toEndWith(`after ${mixedExpected(30).length}`);
    expect(seen).toEqual(mixedExpected(30));
  }, 15_000);

  test("a call abandoned while hung has published its records and lines, in order", async () => {
    pool = new WorkerPool(1);
    const { call, result, seen } = floodCall("abandoned", { FLOOD_MIXED: "30", FLOOD_HANG_MS: "5000" });
    await Bun.sleep(1000);
    call.abandon();
    await result.catch(() => {});
    expect(seen).toEqual(mixedExpected(30));
  }, 15_000);
});

describe("a plugin that hangs", () => {
  test("the step lines it emitted before hanging are published when the call is abandoned", async () => {
    pool = new WorkerPool(1);
    const lines: string[] = [];
    const ready = join(scratch.path, crypto.randomUUID());
    const input = executorInput("hangs", {
      env: { FLOOD_LINES: "5", FLOOD_READY_FILE: ready, FLOOD_HANG_MS: "5000" },
    });
    const call = callPlugin(
      pool,
      flood(),
      "executeStep",
      encodeExecutorInput(input),
      executeStepContext(input, join(scratch.path, "kv")),
      decodeStepResult,
      silentLogger(),
      { onStepLog: (_stream, line) => lines.push(new TextDecoder().decode(line)) },
    );
    call.result.catch(() => {}); // abandoning rejects it
    // The plugin has emitted its lines and sleeps in native code once the file exists (however long
    // a loaded machine takes to start the worker); only then is the call abandoned.
    while (!existsSync(ready)) await Bun.sleep(20);
    call.abandon();
    expect(lines).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5"]);
  });
});

/** Peak resident memory (VmHWM) of a running process in MiB, sampled until it exits. */
async function peakRssMiB(pid: number, exited: Promise<number>): Promise<number> {
  let peak = 0;
  let running = true;
  exited.then(() => {
    running = false;
  });
  while (running) {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (match) peak = Math.max(peak, Number(match[1]) / 1024);
    } catch {
      break; // gone
    }
    await Bun.sleep(50);
  }
  return peak;
}

describe.if(process.platform === "linux")("a plugin that floods hm", () => {
  test("1 GB of hm_log records and 1 GB of step lines keep hm under 300 MB RSS, and all arrive", async () => {
    const plugins = join(scratch.path, `plugins-${crypto.randomUUID()}`);
    mkdirSync(plugins, { recursive: true });
    copyFileSync(FIXTURE, join(plugins, `flood-runner.${LIBRARY_EXTENSION}`));
    const gb = "1000000000";
    const project = makeProject({
      ".hm/ci.ir.json": irJson([
        { key: "flood", env: { FLOOD_LOG_BYTES: gb, FLOOD_STEP_LOG_BYTES: gb, FLOOD_CHUNK: "1000" } },
      ]),
    });
    const { state, tmp } = runDirs(scratch.path);
    const stdout = join(scratch.path, "flood.stdout");
    const stderr = join(scratch.path, "flood.stderr");
    try {
      const hm = Bun.spawn(
        [process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--runner", "flood", "--format", "json"],
        {
          cwd: project.root,
          env: { ...baseEnv(), HM_STATE_DIR: state, TMPDIR: tmp, HM_PLUGIN_PATH: plugins },
          stdin: "ignore",
          stdout: Bun.file(stdout),
          stderr: Bun.file(stderr),
        },
      );
      const peak = await peakRssMiB(hm.pid, hm.exited);
      expect(await hm.exited).toBe(0);
      // 1 000 000 records and 1 000 000 step_log events of 1 000 bytes each, plus framing.
      expect(statSync(stderr).size).toBeGreaterThan(1_000_000_000);
      expect(statSync(stdout).size).toBeGreaterThan(1_000_000_000);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThan(300);
    } finally {
      project.cleanup();
    }
  }, 240_000);
});
