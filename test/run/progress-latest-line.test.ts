/**
 * The progress view in a real terminal (tmux) with the shell runner: each
 * running step's latest log line beside it, cut to the terminal's width,
 * with escapes and control characters gone; and which view a terminal gets
 * when only one of stdout and stderr is a terminal (README, "Running a pipeline").
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { makeProject } from "../helpers/project.ts";
import { hasTmux, openTerminal, type Terminal } from "../helpers/tmux.ts";

const COLUMNS = 100; // the width openTerminal gives its pane
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups.splice(0)) c();
});

/** `hm run --runner shell` in a terminal; `redirect` is shell text after the command (`2>file`, `| cat`). */
function hmOnTerminal(
  steps: Parameters<typeof irJson>[0],
  redirect = "",
): { terminal: Terminal; scratch: string } {
  const project = makeProject({ ".hm/ci.ir.json": irJson(steps) });
  const scratch = tempDir("hm-latest-line-");
  const terminal = openTerminal(
    [
      "sh",
      "-c",
      `trap true INT; cd "$0" && env -u CI "$@" ${redirect}; echo "hm exited $?"`,
      project.root,
      process.execPath,
      join(REPO_ROOT, "src", "main.ts"),
      "run",
      "--runner",
      "shell",
    ],
    {
      PATH: process.env.PATH ?? "",
      HOME: scratch.path,
      HM_STATE_DIR: join(scratch.path, "state"),
      TMPDIR: scratch.path,
      TERM: "xterm-256color",
    },
  );
  cleanups.push(() => terminal.close(), scratch.cleanup, project.cleanup);
  return { terminal, scratch: scratch.path };
}

/** The screen's row that shows `label`'s step. */
function rowOf(screen: string, label: string): string {
  return screen.split("\n").find((line) => new RegExp(`^ {2}\\S ${label} `).test(line)) ?? "";
}

describe.skipIf(!hasTmux)("the latest log line of each running step", () => {
  test("shows what each running step printed last, cut to the width, without escapes or control characters", async () => {
    const long = `begin ${"x".repeat(300)} end`;
    const { terminal } = hmOnTerminal([
      {
        key: "compile",
        label: "Compile",
        // A colour, a tab, a clear-screen and a progress bar redrawn with \r; then silence.
        cmd: "echo first; printf 'step \\033[31mred\\033[0m\\tpart\\n'; printf '\\033[2J\\033[Hprogress 10%%\\rprogress 55%%\\n'; echo '  '; sleep 30",
      },
      { key: "long", label: "Long", cmd: `echo '${long}'; sleep 30` },
    ]);
    const screen = await terminal.waitFor(" begin x");
    await terminal.waitFor("progress 55%");
    const shown = terminal.screen();
    // The view is intact: its bar is on screen, so the clear-screen in the log did nothing.
    expect(shown).toMatch(/pipeline .*0\/2 steps/);
    expect(rowOf(shown, "Compile")).toMatch(/^ {2}\S Compile {2}\(\d[^)]*\) {2}progress 55%$/);
    expect(shown).not.toContain("10%");
    // The 300-character line ends where the terminal does, with an ellipsis, on one row.
    const longRow = rowOf(shown, "Long");
    expect(longRow).toMatch(/^ {2}\S Long {2}\(\d[^)]*\) {2}begin x+…$/);
    expect(Bun.stringWidth(longRow)).toBe(COLUMNS - 1);
    expect(shown).not.toContain(" end");
    for (const line of screen.split("\n")) expect(Bun.stringWidth(line)).toBeLessThan(COLUMNS);
    terminal.keys("C-c");
    const done = await terminal.waitFor("hm exited 130");
    // The summary replaces the view: the latest lines were the view's, not the output's.
    expect(done).not.toContain("progress 55%");
  }, 60_000);

  test("the line moves on as the step prints, and goes once the step ends", async () => {
    // The step waits for files in its HOME (hm's), so the test sets the pace.
    const { terminal, scratch } = hmOnTerminal([
      {
        key: "count",
        label: "Count",
        cmd: 'for i in 1 2 3; do echo "phase $i of 3"; while [ ! -e "$HOME/go$i" ]; do sleep 0.05; done; done',
      },
    ]);
    await terminal.waitFor("phase 1 of 3");
    for (const i of [1, 2]) {
      await Bun.write(join(scratch, `go${i}`), "");
      const screen = await terminal.waitFor(`phase ${i + 1} of 3`);
      expect(rowOf(screen, "Count")).toMatch(new RegExp(`\\) {2}phase ${i + 1} of 3$`));
    }
    await Bun.write(join(scratch, "go3"), "");
    const done = await terminal.waitFor("hm exited 0");
    expect(done).toMatch(/ {2}✓ Count {2}\d/);
    expect(done).not.toContain("phase 3 of 3");
  }, 60_000);
});

describe.skipIf(!hasTmux)("which view a terminal gets", () => {
  test("stdout a terminal, stderr a file (2>err.log): the progress view on screen, diagnostics in the file", async () => {
    const { terminal, scratch } = hmOnTerminal(
      [{ key: "hello", label: "Hello", cmd: "echo working; sleep 30" }],
      '-v 2>"$HOME/err.log"',
    );
    const screen = await terminal.waitFor("working");
    expect(screen).toMatch(/pipeline .*0\/1 steps/);
    expect(rowOf(screen, "Hello")).toMatch(/\) {2}working$/);
    terminal.keys("C-c");
    await terminal.waitFor("hm exited 130");
    const err = readFileSync(join(scratch, "err.log"), "utf8");
    expect(err).toMatch(/^· \[shell\] step 'hello' runs in /m);
    expect(err).not.toContain("working");
    expect(err).not.toContain("hm run ·");
  }, 60_000);

  test("stdout a pipe, stderr the terminal (hm run | cat): plain lines come through the pipe, no view", async () => {
    const { terminal } = hmOnTerminal([{ key: "hello", label: "Hello", cmd: "echo working" }], "| cat");
    const screen = await terminal.waitFor("hm exited 0");
    expect(screen).toContain("▌ hm run · ci");
    expect(screen).toContain("[Hello] working");
    expect(screen).toMatch(/✓ Build succeeded in \S+/);
    expect(screen).not.toMatch(/pipeline .*steps/);
  }, 60_000);
});
