/**
 * Pipeline files using the reference SDK's toolchain helpers give the same
 * envelope under hm, byte for byte (cache keys included): one case per
 * toolchain, JS detection from real lockfiles of every package manager, and
 * whole projects of our own at the project root (test/fixtures/toolchain-parity),
 * except for hm's deliberate differences (installer downloads that fail the
 * step, builds chosen by architecture), recorded per case in
 * `expected.hm.json` and checked to be only those.
 * hm runs from the repository root, whose own package.json and bun.lock must
 * not leak into detection: toolchains read files from the project (-d).
 */
import { describe, expect, test } from "bun:test";
import { join, relative } from "node:path";
import { runHm } from "../helpers/hm.ts";
import { PARITY_NOW, parityCorpus, withoutDeliberateDifferences } from "../helpers/parity.ts";

const corpus = parityCorpus("toolchain-parity");
const env = { SOURCE_DATE_EPOCH: PARITY_NOW };

describe("toolchain parity with the reference SDK", () => {
  test("the corpus covers every toolchain, alone and as a whole project", () => {
    for (const name of ["js-detect", "js-options", "go", "rust-toolchain", "rust-project", "python-uv"]) {
      expect(corpus.cases).toContain(name);
    }
    for (const name of ["cmake", "zig", "elixir", "shared-base"]) expect(corpus.cases).toContain(name);
    const projects = ["bun-cli", "npm-web", "cmake", "elixir-lib", "elixir-service", "go", "python", "rust"];
    for (const name of [...projects, "zig", "polyglot"]) expect(corpus.cases).toContain(`project-${name}`);
  });

  for (const name of corpus.cases) {
    const deliberate = corpus.deliberate(name);
    if (deliberate === null) {
      test(`hm pipelines renders '${name}' exactly as the reference SDK`, async () => {
        const result = await runHm(["pipelines", "-d", corpus.dir(name)], { env });
        expect(result.stderr).toBe("");
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toBe(corpus.reference(name));
      });
      continue;
    }
    test(`hm pipelines renders '${name}' as the reference SDK but for the deliberate differences`, async () => {
      const result = await runHm(["pipelines", "-d", corpus.dir(name)], { env });
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(deliberate);
      // The recorded difference is real, and it is only the deliberate one.
      expect(deliberate).not.toBe(corpus.reference(name));
      expect(withoutDeliberateDifferences(deliberate, true)).toEqual(
        withoutDeliberateDifferences(corpus.reference(name), false),
      );
    });
  }

  test("a project given with a relative -d is detected from its own files, not the working directory's", async () => {
    // The working directory holds a bun.lock; the project's subdirectories hold other lockfiles.
    const cwd = join(corpus.dir("js-detect"), "bun-lock");
    const result = await runHm(["pipelines", "-d", relative(cwd, corpus.dir("js-detect"))], { cwd, env });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(corpus.expected("js-detect"));
  });
});
