/**
 * A burst of output through the docker runner's log path (attach stream, demux, line splitting,
 * masking, the event bus, the run history), against the real engine: every line arrives once,
 * in order, masked, on stdout and in the saved step log.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { cacheScratch, dockerReady, ensureTestImage, TEST_IMAGE } from "../helpers/docker.ts";
import { parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";

const scratch = cacheScratch("hm-docker-log-burst-");
beforeAll(() => ensureTestImage(), 120_000);
afterAll(() => scratch.cleanup());

const TOKEN = "burst-Secret-71d3e0";
const LINES = 100_000;

/** Every file under `dir` whose path contains `part`. */
function filesUnder(dir: string, part: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.includes(part)) out.push(path);
    }
  };
  walk(dir);
  return out;
}

test.skipIf(!dockerReady)(
  "100 000 lines with a secret in every 1000th all arrive once, in order and masked, and all are saved",
  async () => {
    // awk writes in blocks of its own size, so the lines reach hm cut anywhere, the secret too.
    const cmd = `awk -v t="$TOKEN" 'BEGIN { for (i = 1; i <= ${LINES}; i++) if (i % 1000 == 0) print i " token=" t " end"; else print i " line" }'`;
    const made = scratch.project({ ".hm/ci.ir.json": irJson([{ key: "burst", image: TEST_IMAGE, cmd }]) });
    const state = join(scratch.path, crypto.randomUUID());
    const hm = Bun.spawn(
      [process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--format", "json", "--secret", "TOKEN"],
      {
        cwd: made.root,
        env: { ...baseEnv(), HM_STATE_DIR: state, TOKEN },
        stdout: "pipe",
        stderr: "pipe",
        stdin: "ignore",
      },
    );
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(hm.stdout).text(),
      new Response(hm.stderr).text(),
      hm.exited,
    ]);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: expect.any(String) });
    const expected = Array.from({ length: LINES }, (_, n) =>
      (n + 1) % 1000 === 0 ? `${n + 1} token=*** end` : `${n + 1} line`,
    );
    const lines = stepLines(parseEventStream(stdout), "burst", "stdout");
    expect(lines.length).toBe(LINES);
    expect(lines).toEqual(expected);
    expect(stdout).not.toContain(TOKEN);
    // The run history keeps the step's log: the same lines, masked the same way.
    const saved = filesUnder(state, "/steps/");
    expect(saved).toHaveLength(1);
    const text = readFileSync(saved[0] as string, "utf8");
    expect(text).not.toContain(TOKEN);
    expect(text.split("\n").filter((line) => line !== "")).toEqual(expected);
  },
  300_000,
);
