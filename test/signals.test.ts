/**
 * The one signal policy (`docs/design.md`, "Signals") where it is not `hm run`'s:
 * SIGTERM stops a plugin verb as the first Ctrl-C does and exits 143, and
 * stops a command writing a file that must not outlive it (`hm cache save`)
 * with 143, the partial file removed.
 */
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { projectIdentity } from "../src/pipeline/project-identity.ts";
import { cacheScratch, dockerReady, ensureTestImage, TEST_IMAGE } from "./helpers/docker.ts";
import { baseEnv, REPO_ROOT } from "./helpers/hm.ts";
import { irJson } from "./helpers/ir.ts";
import { compilePlugin } from "./helpers/native.ts";

const scratch = cacheScratch("hm-signals-");
afterAll(() => scratch.cleanup());

test("SIGTERM during a plugin verb stops it through keep_going and exits 143", async () => {
  const plugins = join(scratch.path, "plugins");
  compilePlugin(
    plugins,
    "term-waiter",
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
static const hm_capability caps[] = { {.kind = HM_CAP_SUBCOMMAND, .as.subcommand = {.verb = "wait-for-term", .about = "waits"}} };
static const hm_manifest manifest = { .name = "term-waiter", .version = "0.1.0", .description = "x", .capabilities = caps, .capability_count = 1 };
static const hm_plugin_def def = { .manifest = &manifest, .run_subcommand = run };
HM_PLUGIN(def);`,
  );
  const state = join(scratch.path, "verb-state");
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), "wait-for-term"], {
    cwd: scratch.path,
    env: { ...baseEnv(), HM_PLUGIN_PATH: plugins, HM_STATE_DIR: state },
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stdout.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toBe("waiting\n");
  proc.kill("SIGTERM");
  const code = await proc.exited;
  let rest = "";
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
    rest += new TextDecoder().decode(chunk.value);
  expect({ code, rest }).toEqual({ code: 143, rest: "stopped\n" });
  const db = new Database(join(state, "kv.sqlite"), { readonly: true });
  expect(db.query("SELECT count(*) AS n FROM kv WHERE scope = 'build'").get()).toEqual({ n: 0 });
  db.close();
});

const docker = (...args: string[]) => Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" });

test.skipIf(!dockerReady)(
  "SIGTERM during hm cache save exits 143 and leaves no .partial file",
  async () => {
    ensureTestImage();
    // A cache image of the test's own project big enough (200 MB) that the export still runs when the signal comes.
    const project = scratch.project({ ".hm/ci.ir.json": irJson([{ key: "a", cmd: "true" }]) });
    const { id } = await projectIdentity(project.root);
    const maker = `hm-test-big-${crypto.randomUUID().slice(0, 8)}`;
    expect(
      docker("run", "--name", maker, TEST_IMAGE, "sh", "-c", "head -c 200000000 /dev/urandom > /big")
        .exitCode,
    ).toBe(0);
    expect(docker("commit", maker, `hm-cache/${id}/big:0123456789abcdef`).exitCode).toBe(0);
    docker("rm", maker);
    const dir = join(scratch.path, "saved");
    const proc = Bun.spawn(
      [process.execPath, join(REPO_ROOT, "src", "main.ts"), "cache", "save", dir, "-d", project.root],
      { env: { ...baseEnv(), HM_STATE_DIR: join(scratch.path, "state") }, stdout: "pipe", stderr: "pipe" },
    );
    const partial = () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".partial")) : []);
    for (let i = 0; i < 400 && partial().length === 0; i++) await Bun.sleep(10);
    expect(partial().length).toBe(1);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(143);
    expect(partial()).toEqual([]);
  },
  120_000,
);
