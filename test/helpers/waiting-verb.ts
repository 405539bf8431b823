/**
 * A plugin verb that waits on keep_going, stopped by a signal: what a stop
 * does to a verb is tested for SIGINT and SIGTERM alike, with the same plugin.
 */
import { Database } from "bun:sqlite";
import { expect } from "bun:test";
import { join } from "node:path";
import { baseEnv, REPO_ROOT } from "./hm.ts";
import { compilePlugin } from "./native.ts";

/** What hm did once the signal came: its exit code, the verb's output after "waiting", its build-scope KV rows left. */
export interface StoppedVerb {
  code: number;
  rest: string;
  buildRows: number;
}

/**
 * Builds a plugin under `dir` whose verb sets a build-scope KV key, writes
 * "waiting", then polls keep_going for up to 10 s and writes "stopped" or
 * "finished"; runs the verb, sends `signal` once "waiting" is read.
 */
export async function stopWaitingVerb(dir: string, signal: NodeJS.Signals): Promise<StoppedVerb> {
  const plugins = join(dir, "plugins");
  compilePlugin(
    plugins,
    "waiter",
    `#define _POSIX_C_SOURCE 200809L
#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
#include <time.h>
static int run(hm_ctx *ctx, const hm_subcommand_input *in, hm_exit_info *out) {
  struct timespec ts = {0, 10000000};
  int i;
  (void)in;
  hm_kv_set(ctx, HM_KV_BUILD, "started", "1", 1);
  hm_write_stdout(ctx, "waiting\\n", 8);
  for (i = 0; i < 1000 && hm_keep_going(ctx); i++) nanosleep(&ts, NULL);
  hm_write_stdout(ctx, hm_keep_going(ctx) ? "finished\\n" : "stopped\\n", hm_keep_going(ctx) ? 9 : 8);
  out->exit_code = 0;
  return 1;
}
static const hm_capability caps[] = { {.kind = HM_CAP_SUBCOMMAND, .as.subcommand = {.verb = "wait-here", .about = "waits"}} };
static const hm_manifest manifest = { .name = "waiter", .version = "0.1.0", .description = "x", .capabilities = caps, .capability_count = 1 };
static const hm_plugin_def def = { .manifest = &manifest, .run_subcommand = run };
HM_PLUGIN(def);`,
  );
  const state = join(dir, "state");
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), "wait-here"], {
    cwd: dir,
    env: { ...baseEnv(), HM_PLUGIN_PATH: plugins, HM_STATE_DIR: state },
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stdout.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toBe("waiting\n");
  proc.kill(signal);
  const code = await proc.exited;
  let rest = "";
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
    rest += new TextDecoder().decode(chunk.value);
  const db = new Database(join(state, "kv.sqlite"), { readonly: true });
  const rows = db.query<{ n: number }, []>("SELECT count(*) AS n FROM kv WHERE scope = 'build'").get();
  db.close();
  return { code, rest, buildRows: rows?.n ?? -1 };
}
