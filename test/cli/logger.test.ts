/**
 * hm's logger is an instance the CLI makes from `-v` and `CONSOLA_LEVEL` and
 * passes down: its lines (and its tagged loggers') go where it is routed,
 * and two loggers never share a route or a level.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { TEMPLATES } from "../../src/init/templates.ts";
import { createLogger, routeLines, silentLogger } from "../../src/log.ts";
import { runHm, tempDir } from "../helpers/hm.ts";

const scratch = tempDir("hm-logger-");
afterAll(() => scratch.cleanup());

const template = (TEMPLATES[0] as { name: string }).name;

/** `hm init` in a fresh directory of the test's own. */
function initIn(args: string[], env: Record<string, string> = {}) {
  const dir = join(scratch.path, crypto.randomUUID());
  mkdirSync(dir);
  return runHm(["init", "-t", template, "-d", dir, ...args], { env });
}

test("-v shows debug lines; without it only info and above", async () => {
  const quiet = await initIn([]);
  expect(quiet.exitCode).toBe(0);
  expect(quiet.stderr).toContain("▶ next step");
  expect(quiet.stderr).not.toContain("· wrote");
  const verbose = await initIn(["-v"]);
  expect(verbose.stderr).toContain("· wrote .hm/pipeline.ts");
});

test("CONSOLA_LEVEL overrides -v either way", async () => {
  expect((await initIn([], { CONSOLA_LEVEL: "4" })).stderr).toContain("· wrote");
  const errorsOnly = await initIn(["-v"], { CONSOLA_LEVEL: "1" });
  expect(errorsOnly.exitCode).toBe(0);
  expect(errorsOnly.stderr).toBe("");
});

test("a tagged logger prints its tag and follows its parent's route; another logger's route is its own", () => {
  const parent = createLogger({ verbose: false });
  const plugin = parent.withTag("some-plugin"); // made before the route: routes are shared, not copied
  const other = createLogger({ verbose: true });
  const seen: string[] = [];
  const otherSeen: string[] = [];
  routeLines(parent, (line) => seen.push(line));
  routeLines(other, (line) => otherSeen.push(line));
  plugin.info("hello");
  plugin.debug("hidden at info level");
  other.debug("shown at debug level");
  routeLines(parent, null);
  routeLines(other, null);
  expect(seen.map(Bun.stripANSI)).toEqual(["▶ [some-plugin] hello"]);
  expect(otherSeen.map(Bun.stripANSI)).toEqual(["· shown at debug level"]);
});

test("reporters are the caller's: a test collects records instead of printing them", () => {
  const records: { type: string; tag: string; args: unknown[] }[] = [];
  const log = createLogger({ verbose: false, reporters: [{ log: (obj) => records.push(obj) }] });
  log.withTag("p").warn("careful");
  silentLogger().error("never seen");
  expect(records.map(({ type, tag, args }) => ({ type, tag, args }))).toEqual([
    { type: "warn", tag: "p", args: ["careful"] },
  ]);
});
