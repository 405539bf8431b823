/**
 * A tcp:// DOCKER_HOST makes docker-modem call `url.parse()`: hm must not
 * print Node's DEP0169 warning for it, and must keep every other warning.
 * The compiled binary is where the warning shows every time (from source,
 * Bun leaves out some calls made inside node_modules), so it is built here as test/e2e does.
 */
import { beforeAll, expect, test } from "bun:test";
import { silenceUrlParseDeprecation } from "../../src/cli/quiet-warnings.ts";
import { buildBinaryOnce } from "../helpers/build-binary.ts";
import { runHm } from "../helpers/hm.ts";

beforeAll(() => buildBinaryOnce(), 120_000);

const unreachable = { DOCKER_HOST: "tcp://127.0.0.1:1" };

for (const binary of [true, false]) {
  test(`${binary ? "dist/hm" : "from source"}: an unreachable tcp:// engine is exit 4 with no DEP0169 warning`, async () => {
    const result = await runHm(["cache", "ls"], { binary, env: unreachable });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain("docker engine unreachable at tcp://127.0.0.1:1");
    expect(result.stderr).not.toContain("DEP0169");
    expect(result.stderr).not.toContain("DeprecationWarning");
    const gc = await runHm(["gc"], { binary, env: unreachable });
    expect(gc.exitCode).toBe(0);
    expect(gc.stderr).not.toContain("DEP0169");
  });
}

test("the filter drops DEP0169 only: other warnings, deprecations included, still go out", async () => {
  silenceUrlParseDeprecation();
  const seen: string[] = [];
  const listener = (warning: Error & { code?: string }) => seen.push(warning.code ?? warning.message);
  process.on("warning", listener);
  try {
    process.emitWarning("url.parse is deprecated", "DeprecationWarning", "DEP0169");
    process.emitWarning("url.parse is deprecated", { type: "DeprecationWarning", code: "DEP0169" });
    process.emitWarning("something else is deprecated", "DeprecationWarning", "DEP0005");
    process.emitWarning("a plain warning");
    // process.emitWarning dispatches on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(["DEP0005", "a plain warning"]);
  } finally {
    process.off("warning", listener);
  }
});
