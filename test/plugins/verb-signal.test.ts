/** Ctrl-C (SIGINT) during a plugin verb: the plugin is told to stop, hm exits 130, the verb's KV scope is gone. */

import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { baseEnv, REPO_ROOT, tempDir } from "../helpers/hm.ts";
import { compilePlugin } from "../helpers/native.ts";

const work = tempDir("hm-verb-signal-");
afterAll(() => work.cleanup());

test("SIGINT during a plugin verb stops it through keep_going and exits 130", async () => {
  compilePlugin(
    join(work.path, "plugins"),
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
  const state = join(work.path, "state");
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), "wait-here"], {
    cwd: work.path,
    env: { ...baseEnv(), HM_PLUGIN_PATH: join(work.path, "plugins"), HM_STATE_DIR: state },
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stdout.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toBe("waiting\n");
  const sentAt = performance.now();
  proc.kill("SIGINT");
  const code = await proc.exited;
  let rest = "";
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
    rest += new TextDecoder().decode(chunk.value);
  expect(code).toBe(130);
  expect(rest).toBe("stopped\n");
  expect(performance.now() - sentAt).toBeLessThan(2000);
  const db = new Database(join(state, "kv.sqlite"), { readonly: true });
  expect(db.query("SELECT count(*) AS n FROM kv WHERE scope = 'build'").get()).toEqual({ n: 0 });
  db.close();
});
