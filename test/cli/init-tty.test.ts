/** hm init in a real terminal (tmux): without --template it asks which template to use. */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TEMPLATES, templateNamed } from "../../src/init/templates.ts";
import { REPO_ROOT } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";
import { hasTmux, openTerminal, type Terminal } from "../helpers/tmux.ts";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

describe.skipIf(!hasTmux)("hm init on a terminal", () => {
  function start(root: string): Terminal {
    // The shell says when hm has exited, so a test can wait for that instead of for a while.
    const terminal = openTerminal(
      [
        "sh",
        "-c",
        'trap true INT; "$@"; echo "hm exited $?"',
        "sh",
        process.execPath,
        join(REPO_ROOT, "src", "main.ts"),
        "init",
        "-d",
        root,
      ],
      { PATH: process.env.PATH ?? "" },
    );
    cleanups.push(() => terminal.close());
    return terminal;
  }

  test("offers the templates and writes the one picked", async () => {
    const project = makeProject({ "README.md": "" });
    cleanups.push(project.cleanup);
    const terminal = start(project.root);
    await terminal.waitFor("Select a project template");
    terminal.keys("Down");
    terminal.keys("Enter");
    await terminal.waitFor("✔ created");
    expect(readFileSync(join(project.root, ".hm", "pipeline.ts"), "utf8")).toBe(
      TEMPLATES[1]?.source as string,
    );
  });

  test("preselects the template the project's files point at, and says why", async () => {
    const project = makeProject({ "Cargo.toml": "" });
    cleanups.push(project.cleanup);
    const terminal = start(project.root);
    await terminal.waitFor(`preselected Rust (cargo) from Cargo.toml in ${project.root}`);
    await terminal.waitFor("Select a project template");
    terminal.keys("Enter");
    await terminal.waitFor("✔ created");
    expect(readFileSync(join(project.root, ".hm", "pipeline.ts"), "utf8")).toBe(
      templateNamed("rust")?.source as string,
    );
  });

  test("Ctrl-C at the prompt writes nothing", async () => {
    const project = makeProject({ "README.md": "" });
    cleanups.push(project.cleanup);
    const terminal = start(project.root);
    await terminal.waitFor("Select a project template");
    terminal.keys("C-c");
    // Checked once hm has exited: a file written late would be missed by a check made earlier.
    expect(await terminal.waitFor("hm exited ")).toMatch(/hm exited 130/);
    expect(existsSync(join(project.root, ".hm", "pipeline.ts"))).toBe(false);
  });
});
