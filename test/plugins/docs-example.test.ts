/**
 * The plugin in docs/writing-plugins.md, taken from the document itself,
 * builds with `cc -shared -fPIC` and is listed, validated and called by hm.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../../src/log.ts";
import { KvStore } from "../../src/plugins/kv-store.ts";
import { callPlugin } from "../../src/plugins/plugin-call.ts";
import { openPlugin } from "../../src/plugins/registry.ts";
import { WorkerPool } from "../../src/plugins/worker-pool.ts";
import { decodeStepResult, encodeExecutorInput } from "../../src/protocol/index.ts";
import { executorInput } from "../helpers/executor-input.ts";
import { REPO_ROOT, runHm, tempDir } from "../helpers/hm.ts";
import { compilePlugin } from "../helpers/native.ts";

const work = tempDir("hm-docs-plugin-");
afterAll(() => work.cleanup());

test("the guide's example plugin builds, is listed, and runs a step", async () => {
  const guide = readFileSync(join(REPO_ROOT, "docs", "writing-plugins.md"), "utf8");
  const source = /```c\n([\s\S]*?)```/.exec(guide)?.[1];
  expect(source).toBeDefined();
  const library = compilePlugin(join(work.path, "plugins"), "echo", source as string);

  const list = await runHm(["plugin", "list"], { env: { HM_PLUGIN_PATH: join(work.path, "plugins") } });
  expect(list.stdout).toContain("echo");
  expect(list.stdout).toContain("runner:echo");

  const opened = openPlugin(library, "path");
  if (!("entry" in opened)) throw new Error(opened.broken.reason);
  const pool = new WorkerPool(1);
  const kvPath = join(work.path, "kv.sqlite");
  const lines: string[] = [];
  const input = executorInput("test", { runner: "echo", cmd: "make test", runnerArgs: { repeat: 2 } });
  try {
    const result = await callPlugin(
      pool,
      opened.entry,
      "executeStep",
      encodeExecutorInput(input),
      { runId: input.run_id, stepId: input.step_id, configDir: null, archives: {}, kvPath },
      decodeStepResult,
      silentLogger(),
      { onStepLog: (_s, line) => lines.push(new TextDecoder().decode(line)) },
    ).result;
    expect(result.exit_code).toBe(0);
    expect(lines).toEqual(["make test", "make test"]);
    const kv = new KvStore(kvPath);
    expect(
      new TextDecoder().decode(kv.get("plugin", "echo", new TextEncoder().encode("runs")) as Uint8Array),
    ).toBe("1");
    kv.close();
  } finally {
    await pool.close();
  }
});
