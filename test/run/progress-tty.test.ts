/**
 * `hm run` in a real terminal (tmux): the progress view while steps run, the
 * summary that replaces it, the failed step's log, and Ctrl-C under
 * `bun run hm` (one press arrives twice there and must count once).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { fixturePath } from "../helpers/native.ts";
import { makeProject } from "../helpers/project.ts";
import { hasTmux, openTerminal, type Terminal } from "../helpers/tmux.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** hm on a terminal, via `bun run hm` from the repo; the shell prints hm's exit code after it. */
function hmOnTerminal(project: string, args: string[]): Terminal {
  const scratch = tempDir("hm-tty-");
  mkdirSync(join(scratch.path, "plugins"));
  copyFileSync(fixturePath("noop-executor"), join(scratch.path, "plugins", "noop-executor.so"));
  const terminal = openTerminal(
    [
      "sh",
      "-c",
      'trap true INT; cd "$0" && env -u CI "$@"; echo "hm exited $?"',
      REPO_ROOT,
      process.execPath,
      "run",
      "hm",
      "run",
      "-d",
      project,
      "--runner",
      "noop",
      ...args,
    ],
    {
      PATH: process.env.PATH ?? "",
      HOME: scratch.path,
      HM_STATE_DIR: join(scratch.path, "state"),
      HM_PLUGIN_PATH: join(scratch.path, "plugins"),
      TERM: "xterm-256color",
    },
  );
  cleanups.push(() => terminal.close(), scratch.cleanup);
  return terminal;
}

describe.skipIf(!hasTmux)("the progress view on a terminal", () => {
  test("shows the pipeline bar and a spinner per running step, then the summary in its place", async () => {
    const project = makeProject({
      ".hm/ci.ir.json": irJson(
        [
          { key: "install", label: "Install deps", env: { NOOP_SLEEP_MS: "1500" } },
          { key: "test", label: "Unit tests", env: { NOOP_SLEEP_MS: "300" } },
        ],
        [["install", "test", "builds_in"]],
      ),
    });
    cleanups.push(project.cleanup);
    const terminal = hmOnTerminal(project.root, []);
    const live = await terminal.waitFor("0/2 steps");
    expect(live).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] pipeline [━─]+ 0\/2 steps \(\d/);
    expect(live).toMatch(/ {2}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Install deps {2}\(\d/);
    expect(live).toMatch(/ {4}· Unit tests/); // the builds_in child, under its parent
    const done = await terminal.waitFor("hm exited 0");
    expect(done).toContain("✓ Build succeeded in");
    // Durations are what the (loaded) machine took: 1.5 s at least, and a short step's in ms or in s.
    expect(done).toMatch(/ {2}✓ Install deps {2}\d+\.\ds/);
    expect(done).toMatch(/ {2}✓ Unit tests {4}(\d+ms|\d+\.\ds)/);
    // The live view was replaced, not left above the summary.
    expect(done).not.toContain("steps (");
  });

  test("with --only, the view counts the part, and the first line and the verdict say only a part ran", async () => {
    const project = makeProject({
      ".hm/ci.ir.json": irJson(
        [
          { key: "install", env: { NOOP_SLEEP_MS: "1500" } },
          { key: "test", label: "Unit tests" },
          { key: "deploy", label: "Deploy" },
        ],
        [["install", "test", "builds_in"]],
      ),
    });
    cleanups.push(project.cleanup);
    const terminal = hmOnTerminal(project.root, ["--only", "Unit tests"]);
    expect(await terminal.waitFor("0/2 steps")).not.toContain("/3 steps");
    const done = await terminal.waitFor("hm exited 0");
    expect(done).toContain("▌ hm run · ci (only 2 of 3 steps: --only 'Unit tests')");
    expect(done).toMatch(/✓ Build succeeded in \S+ \(only 2 of 3 steps: --only 'Unit tests'\)/);
    expect(done).not.toContain("Deploy");
  });

  test("a failed step's log is replayed under its header; the verdict says failed", async () => {
    const project = makeProject({
      ".hm/ci.ir.json": irJson([{ key: "check", env: { NOOP_LOG_LINES: "3", NOOP_EXIT: "4" } }]),
    });
    cleanups.push(project.cleanup);
    const terminal = hmOnTerminal(project.root, []);
    const screen = await terminal.waitFor("hm exited 1");
    expect(screen).toMatch(
      /--- echo check failed \(exit 4\) ---\nline 1\nline 2\nline 3\nfull log: hm logs [0-9a-f]{8} 'echo check'\n/,
    );
    expect(screen).toContain("✗ Build failed in");
  });

  test("Ctrl-C under bun run: one press cancels (exit 130), the cursor comes back, no force-exit", async () => {
    const project = makeProject({
      ".hm/ci.ir.json": irJson([{ key: "long", env: { NOOP_SLEEP_MS: "60000" } }]),
    });
    cleanups.push(project.cleanup);
    const terminal = hmOnTerminal(project.root, []);
    await terminal.waitFor("0/1 steps");
    terminal.keys("C-c");
    const screen = await terminal.waitFor("hm exited 130");
    expect(screen).toContain("cancelling… (Ctrl-C again to force)");
    expect(screen).toContain("✗ Build cancelled after");
    // However long the (loaded) machine took to pass the press on: in ms or in s.
    expect(screen).toMatch(/ {2}- echo long {2}(\d+ms|\d+\.\ds) {2}cancelled/);
    expect(screen).not.toContain("force-exit");
  });
});
