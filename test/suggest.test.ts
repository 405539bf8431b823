/** "Did you mean …?" for misspelt commands, options and choices, through the real process and the distance itself. */
import { describe, expect, test } from "bun:test";
import { editDistance, nearest } from "../src/suggest.ts";
import { runHm } from "./helpers/hm.ts";

describe("hm suggests the nearest spelling", () => {
  test("a misspelt command: hm rn → did you mean 'run'?, still exit 2 with the list", async () => {
    const result = await runHm(["rn"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "✘ unknown command 'rn': did you mean 'run'?\n  available: [cache, completions, gc, init, logs, pipelines, plugin, render, run, runs, version]\n→ hm plugin install <ref> to add a plugin that provides this command\n",
    );
  });

  test("a misspelt subcommand and hm hlep", async () => {
    const sub = await runHm(["plugin", "lsit"]);
    expect(sub.exitCode).toBe(2);
    expect(sub.stderr).toStartWith("✘ unknown command 'lsit': did you mean 'list'?\n");
    expect((await runHm(["hlep"])).stderr).toStartWith("✘ unknown command 'hlep': did you mean 'help'?\n");
  });

  test("a misspelt option: hm run --runer shell → did you mean '--runner'?, exit 2", async () => {
    const result = await runHm(["run", "--runer", "shell"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "✘ unknown option '--runer' for 'hm run': did you mean '--runner'?\n→ hm run --help lists what it takes\n",
    );
  });

  test("a misspelt enum value: hm init -t bnu → did you mean 'bun'?", async () => {
    const result = await runHm(["init", "-t", "bnu"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toStartWith("✘ unknown --template 'bnu': did you mean 'bun'?\n");
  });

  test("nothing close, or a one-letter flag: no suggestion", async () => {
    const command = await runHm(["deploy"]);
    expect(command.exitCode).toBe(2);
    expect(command.stderr).not.toContain("did you mean");
    const option = await runHm(["run", "--frobnicate"]);
    expect(option.exitCode).toBe(2);
    expect(option.stderr).not.toContain("did you mean");
    expect((await runHm(["init", "-x"])).stderr).not.toContain("did you mean");
  });
});

describe("editDistance and nearest", () => {
  test("a swap of neighbours is one edit; insertions, deletions and substitutions one each", () => {
    expect(editDistance("rnu", "run")).toBe(1);
    expect(editDistance("rn", "run")).toBe(1);
    expect(editDistance("runer", "runner")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });

  test("the closest wins, ties go to the first, and far words get nothing", () => {
    expect(nearest("rn", ["render", "run"])).toBe("run");
    expect(nearest("ab", ["ac", "ad"])).toBe("ac");
    expect(nearest("cahce", ["cache", "gc"])).toBe("cache");
    // One edit allowed per three letters typed (`xy` is not `gc`), and 2 edits at most.
    expect(nearest("xy", ["gc"])).toBeUndefined();
    expect(nearest("pipelnes-x", ["pipelines"])).toBeUndefined();
  });
});
