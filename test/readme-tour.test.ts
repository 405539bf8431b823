/**
 * The README's 30-second tour works as written from the repository root. Its
 * `hm` lines run for real; the one liberty taken is the project directory,
 * swapped for a fresh temp dir so the test touches only what it creates
 * (the tour's own directory must be outside the checkout, checked first).
 */
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { REPO_ROOT, runHm, tempDir } from "./helpers/hm.ts";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** The tour's `bun run hm …` commands, comments dropped, split into words. */
function tourCommands(): string[][] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.split("## A 30-second tour")[1]?.split("\n## ")[0] ?? "";
  const block = section.split("```sh\n")[1]?.split("```")[0] ?? "";
  return block
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line.startsWith("bun run hm "))
    .map((line) => line.slice("bun run hm ".length).split(/\s+/));
}

test("the README's tour runs from the repository root, with its project outside the checkout", async () => {
  const commands = tourCommands();
  expect(commands.length).toBeGreaterThanOrEqual(3);
  expect(commands[0]?.[0]).toBe("init");
  const tourDirs = new Set(commands.map((words) => words[words.indexOf("-d") + 1]));
  expect(tourDirs.size).toBe(1);
  const [tourDir] = [...tourDirs] as [string];
  expect(isAbsolute(tourDir)).toBe(true);
  expect(relative(REPO_ROOT, tourDir).startsWith("..")).toBe(true);

  const scratch = tempDir("hm-tour-");
  cleanups.push(scratch.cleanup);
  const projectDir = join(scratch.path, "my-app"); // missing: the tour's init must create it
  for (const words of commands) {
    const result = await runHm(
      words.map((w) => (w === tourDir ? projectDir : w)),
      { cwd: REPO_ROOT },
    );
    expect({ words, stderr: result.stderr, exitCode: result.exitCode }).toMatchObject({ exitCode: 0 });
  }
});
