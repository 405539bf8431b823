/** The help text through the real process: its shape, for hm and every built-in command. */
import { expect, test } from "bun:test";
import { BUILTIN_COMMANDS } from "../../src/cli/root.ts";
import { runHm } from "../helpers/hm.ts";

/** Every command path whose help a user can ask for: hm, each command, each subcommand. */
async function commandPaths(): Promise<string[][]> {
  const paths: string[][] = [[]];
  for (const [name, load] of Object.entries(BUILTIN_COMMANDS)) {
    paths.push([name]);
    const command = await load();
    const subs =
      typeof command.subCommands === "function" ? await command.subCommands() : command.subCommands;
    for (const sub of Object.keys(subs ?? {})) paths.push([name, sub]);
  }
  return paths;
}

test("--help of hm and of every command ends with a newline and no line ends in spaces", async () => {
  const paths = await commandPaths();
  expect(paths.length).toBeGreaterThan(10);
  for (const path of paths) {
    const result = await runHm([...path, "--help"]);
    expect(result.exitCode, path.join(" ")).toBe(0);
    expect(result.stdout.endsWith("\n"), `hm ${path.join(" ")} --help`).toBe(true);
    expect(result.stdout.endsWith("\n\n"), `hm ${path.join(" ")} --help`).toBe(false);
    for (const line of result.stdout.split("\n"))
      expect(line, `hm ${path.join(" ")} --help`).toBe(line.trimEnd());
  }
}, 60_000);

test("hm init --help: flags start in one column, descriptions in another, choices in the description", async () => {
  const result = await runHm(["init", "--help"]);
  expect(result.exitCode).toBe(0);
  const options = result.stdout.trimEnd().split("OPTIONS\n\n")[1]?.split("\n\n")[0]?.split("\n") ?? [];
  expect(options).toEqual([
    "  -t, --template=<TEMPLATE>    Project template (default: picked from the project's files); one of: bun, node, js, nextjs, rust, go, python, cmake, zig, elixir, shell",
    "  -d, --dir=<DIR>              Project directory, created if missing (default: .)",
    "      --force                  Overwrite an existing .hm/pipeline.ts",
    "      --github-actions         Also write .github/workflows/hm.yml, a workflow that runs hm run in CI",
  ]);
});

test("the description column is shared by every row of a table (hm run --help)", async () => {
  const result = await runHm(["run", "--help"]);
  const rows = result.stdout.trimEnd().split("OPTIONS\n\n")[1]?.split("\n\n")[0]?.split("\n") ?? [];
  expect(rows.length).toBeGreaterThan(5);
  const starts = new Set(rows.map((row) => /^ {2}.*?\S {2,}(?=\S)/.exec(row)?.[0].length));
  expect([...starts]).toHaveLength(1);
  for (const row of rows) expect(row).toMatch(/^ {2}(-\w, | {4})--/);
});
