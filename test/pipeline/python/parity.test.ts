/**
 * hm's Python SDK against the reference's: each project of
 * test/fixtures/python-parity (see its README) renders to the envelope the
 * reference Python SDK rendered for it, byte for byte from the SDK, and as
 * the same envelope through `hm pipelines`.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, runHm } from "../../helpers/hm.ts";
import { withoutDeliberateDifferences } from "../../helpers/parity.ts";

const CORPUS = join(REPO_ROOT, "test", "fixtures", "python-parity");
const SDK = join(REPO_ROOT, "src", "pipeline", "python", "sdk");
const NOW = "1750000000";
const cases = readdirSync(CORPUS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const reference = (name: string) => readFileSync(join(CORPUS, name, "expected.json"), "utf8");
/** hm's own rendering where it deliberately differs (toolchain install commands), else the reference's. */
const hmsOwn = (name: string) => join(CORPUS, name, "expected.hm.json");
const expected = (name: string) =>
  existsSync(hmsOwn(name)) ? readFileSync(hmsOwn(name), "utf8") : reference(name);

test("the corpus has its cases", () => {
  expect(cases).toEqual(["core-chains", "targets", "toolchains"]);
});

test("where hm renders differently, it differs from the reference only deliberately", () => {
  const differing = cases.filter((name) => existsSync(hmsOwn(name)));
  expect(differing).toEqual(["toolchains"]);
  for (const name of differing) {
    expect(expected(name)).not.toBe(reference(name));
    expect(withoutDeliberateDifferences(expected(name), true)).toEqual(
      withoutDeliberateDifferences(reference(name), false),
    );
  }
});

describe.each(cases)("%s", (name) => {
  test("hm's SDK prints the expected envelope byte for byte", () => {
    const rendered = Bun.spawnSync(["python3", "-B", join(CORPUS, "render-envelope.py")], {
      cwd: join(CORPUS, name),
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        PYTHONPATH: SDK,
        PARITY_FLAVOUR: "mint",
        SOURCE_DATE_EPOCH: NOW,
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(rendered.stderr.toString()).toBe("");
    expect(rendered.stdout.toString()).toBe(expected(name));
  }, 60_000);

  test("hm pipelines prints the same envelope", async () => {
    const result = await runHm(["pipelines", "-d", join(CORPUS, name)], {
      env: { PARITY_FLAVOUR: "mint", SOURCE_DATE_EPOCH: NOW },
    });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(expected(name)));
  }, 60_000);
});
