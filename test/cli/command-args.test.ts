/** What the CLI reads from a command definition: spellings, values, enum choices, where the command word is. */
import { expect, test } from "bun:test";
import { commandArgs, commandWordIndex } from "../../src/cli/command-args.ts";
import { runHm } from "../helpers/hm.ts";

const args = commandArgs({
  target: { type: "positional", required: true },
  dir: { type: "string", alias: "d" },
  "dry-run": { type: "boolean", alias: ["n"] },
  level: { type: "enum", options: ["low", "high"], alias: "l" },
});

test("every spelling citty accepts selects the option", () => {
  const names = ["dir", "d", "dry-run", "dryRun", "n", "no-dry-run", "level", "l"].map(
    (s) => args.option(s)?.name,
  );
  expect(names).toEqual(["dir", "dir", "dry-run", "dry-run", "dry-run", "dry-run", "level", "level"]);
  expect(args.option("target")).toBeUndefined();
  expect(args.positionals).toEqual([{ name: "target", required: true }]);
});

test("strings and enums take a value; an enum carries its choices", () => {
  expect(args.options.map((o) => [o.name, o.takesValue, o.choices ?? null])).toEqual([
    ["dir", true, null],
    ["dry-run", false, null],
    ["level", true, ["low", "high"]],
  ]);
});

test("the command word is found past flags and option values, and never after --", () => {
  expect(commandWordIndex(["-d", "x", "-n", "sub"], args)).toBe(3);
  expect(commandWordIndex(["--dir=x", "sub"], args)).toBe(1);
  expect(commandWordIndex(["-l", "low", "--", "sub"], args)).toBe(-1);
});

test("a bad enum value names the option, the value and the choices, whichever spelling gave it", async () => {
  for (const given of [["-t", "cobol"], ["--template=cobol"]]) {
    const result = await runHm(["init", ...given, "-d", "/nonexistent"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "✘ unknown --template 'cobol'\n→ available: bun, node, js, nextjs, rust, go, python, cmake, zig, elixir, shell\n",
    );
  }
});
