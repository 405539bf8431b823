/**
 * What the packer leaves out by gitignore rules, checked against a
 * hand-written list and against git itself (`git ls-files --others --cached
 * --exclude-standard` on the same tree). git runs with a private HOME and no
 * system config, and the packer gets the same environment.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packWorkspace } from "../../../src/run/workspace/pack.ts";
import { tempDir } from "../../helpers/hm.ts";
import { git, gitEnv, listing, makeTree, type TreeSpec } from "./tree.ts";

const scratch = tempDir("hm-ignore-");
afterAll(() => scratch.cleanup());
let counter = 0;

function fresh(name: string): string {
  const path = join(scratch.path, `${++counter}-${name}`);
  mkdirSync(path, { recursive: true });
  return path;
}

/** Packs `root` and returns the archive's members, directories with a trailing `/`. */
async function packed(root: string, env: Record<string, string>, pipelineDir: string | null = null) {
  const output = join(fresh("out"), "w.tar");
  await packWorkspace({ root, pipelineDir, output, env });
  return listing(output);
}

const files = (members: string[]) => members.filter((name) => !name.endsWith("/")).sort();

const lines = (...patterns: string[]) => `${patterns.join("\n")}\n`;

const fixture: TreeSpec = {
  ".gitignore": lines(
    "# a comment",
    "*.log",
    "!keep.log",
    "build/",
    "/root-only.txt",
    "docs/**/*.tmp",
    "cache/*",
    "!cache/keep/",
    "vendor",
    "logs/",
    "!logs/important.log",
    "\\#hash",
    "trailing\\ ",
    "*.o   ",
  ),
  "a/.gitignore": lines("!*.log", "local/", "/anchored.txt", "!build/", "x/y.txt"),
  "a/b/.gitignore": lines("*.txt", "!important.txt"),
  ".hm/pipeline.ts": "export default {};\n",
  ".env": "A=1\n",
  ".github/workflows/ci.yml": "on: push\n",
  "src/main.ts": "main\n",
  "keep.log": "",
  "x.log": "",
  "UPPER.LOG": "",
  "a/x.log": "",
  "a/b/x.log": "",
  "build/out.js": "",
  "src/build/gen.js": "",
  "a/build/out.js": "",
  "a/c/build/z": "",
  "root-only.txt": "",
  "a/root-only.txt": "",
  "docs/x.tmp": "",
  "docs/d/e/y.tmp": "",
  "docs/z.md": "",
  "cache/a": "",
  "cache/keep/b": "",
  "vendor/lib.js": "",
  "src/vendor": "",
  "logs/important.log": "",
  "logs/other": "",
  "#hash": "",
  "trailing ": "",
  trailing: "",
  "main.o": "",
  "a/local/f": "",
  "local/f": "",
  "a/anchored.txt": "",
  "a/c/anchored.txt": "",
  "a/x/y.txt": "",
  "a/q/x/y.txt": "",
  "a/b/n.txt": "",
  "a/b/important.txt": "",
  "a/b/c/deep.txt": "",
  "secret.env": "",
  "a/secret.env": "",
  "f.bak": "",
  "a/f.bak": "",
  lnk: { link: "build" },
};

/** The fixture's files (and symlinks) that survive; `.hm/` is left out as the pipeline directory. */
const kept = [
  ".env",
  ".github/workflows/ci.yml",
  ".gitignore",
  "UPPER.LOG",
  "a/.gitignore",
  "a/b/.gitignore",
  "a/b/important.txt",
  "a/b/x.log",
  "a/build/out.js",
  "a/c/anchored.txt",
  "a/c/build/z",
  "a/q/x/y.txt",
  "a/root-only.txt",
  "a/x.log",
  "cache/keep/b",
  "docs/z.md",
  "keep.log",
  "lnk",
  "local/f",
  "src/main.ts",
  "trailing",
].sort();

describe("gitignore rules", () => {
  test("nested .gitignore, info/exclude and the global excludes file decide as git does", async () => {
    const root = fresh("repo");
    const home = fresh("home");
    const env = gitEnv(home);
    git(root, env, "init", "--quiet");
    makeTree(root, fixture);
    writeFileSync(join(root, ".git/info/exclude"), lines("secret.env"));
    makeTree(home, { ".config/git/ignore": lines("*.bak") });

    const members = await packed(root, env, ".hm");

    expect(files(members)).toEqual(kept);
    expect(members.some((name) => name.startsWith(".git/"))).toBe(false);
    const byGit = git(root, env, "ls-files", "-z", "--others", "--cached", "--exclude-standard")
      .split("\0")
      .filter((name) => name !== "" && !name.startsWith(".hm/"))
      .sort();
    expect(files(members)).toEqual(byGit);
  });

  test("a file under an excluded directory stays out, even when a pattern re-includes it", async () => {
    const root = fresh("reinclude");
    makeTree(root, {
      ".gitignore": lines("logs/", "!logs/important.log", "out/*", "!out/keep.txt"),
      "logs/important.log": "",
      "out/keep.txt": "",
      "out/drop.txt": "",
    });
    const members = await packed(root, gitEnv(fresh("home")));
    expect(members).toEqual([".gitignore", "out/", "out/keep.txt"]);
  });

  test("directory-only patterns match directories, not files or symlinks", async () => {
    const root = fresh("dir-only");
    makeTree(root, {
      ".gitignore": lines("tmp/"),
      "tmp/a": "",
      "sub/tmp": "a file named tmp",
      link: { link: "tmp" },
    });
    const members = await packed(root, gitEnv(fresh("home")));
    expect(members).toEqual([".gitignore", "link", "sub/", "sub/tmp"]);
  });

  test("core.excludesFile from the global git config, with ~ expanded", async () => {
    const root = fresh("global");
    const home = fresh("home");
    makeTree(home, {
      ".gitconfig": "[core]\n\texcludesFile = ~/my-excludes\n",
      "my-excludes": lines("*.secret"),
      ".config/git/ignore": lines("*.txt"),
    });
    makeTree(root, { "a.secret": "", "b.txt": "", "c.md": "" });
    expect(await packed(root, gitEnv(home))).toEqual(["b.txt", "c.md"]);
  });

  test("without core.excludesFile: $XDG_CONFIG_HOME/git/ignore, else ~/.config/git/ignore", async () => {
    const root = fresh("xdg");
    const home = fresh("home");
    const xdg = fresh("xdg-config");
    makeTree(home, { ".config/git/ignore": lines("*.home") });
    makeTree(xdg, { "git/ignore": lines("*.xdg") });
    makeTree(root, { "a.home": "", "b.xdg": "", "c.md": "" });
    expect(await packed(root, gitEnv(home, { XDG_CONFIG_HOME: xdg }))).toEqual(["a.home", "c.md"]);
    expect(await packed(root, gitEnv(home))).toEqual(["b.xdg", "c.md"]);
  });

  test("without git installed: ~/.config/git/ignore", async () => {
    const root = fresh("no-git");
    const home = fresh("home");
    makeTree(home, {
      ".gitconfig": "[core]\n\texcludesFile = ~/unreadable-without-git\n",
      "unreadable-without-git": lines("*.md"),
      ".config/git/ignore": lines("*.home"),
    });
    makeTree(root, { "a.home": "", "c.md": "" });
    const env = { PATH: fresh("empty-path"), HOME: home };
    expect(await packed(root, env)).toEqual(["c.md"]);
  });

  test("a directory that is not a git repository: .gitignore files apply, nothing else is needed", async () => {
    const root = fresh("plain");
    makeTree(root, {
      ".gitignore": lines("node_modules/", "*.tmp"),
      "node_modules/x/index.js": "",
      "sub/.gitignore": lines("!keep.tmp"),
      "sub/keep.tmp": "",
      "sub/drop.tmp": "",
      "index.js": "",
    });
    const members = await packed(root, gitEnv(fresh("home")));
    expect(members).toEqual([".gitignore", "index.js", "sub/", "sub/.gitignore", "sub/keep.tmp"]);
  });
});
