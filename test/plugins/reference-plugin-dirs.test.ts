/**
 * The reference's plugin places and names (README, "Coming from the
 * reference hm"): `<project>/.harmont/plugins/` is read like
 * `<project>/.hm/plugins/` (which shadows it), and `hm plugin info docker`
 * describes the built-in runner instead of "no plugin named".
 */
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { HM_VERSION } from "../../src/version.ts";
import { runHm, tempDir } from "../helpers/hm.ts";
import { fixturePath } from "../helpers/native.ts";

const home = tempDir("hm-home-");
const state = tempDir("hm-state-");
const dirs = [home, state];
afterAll(() => {
  for (const d of dirs) d.cleanup();
});

const hm = (args: string[], cwd?: string) =>
  runHm(args, { ...(cwd === undefined ? {} : { cwd }), env: { HOME: home.path, HM_STATE_DIR: state.path } });

/** A project with the noop runner plugin in each of `places` (relative directories). */
function projectWithPlugin(places: string[]): string {
  const project = tempDir("hm-project-");
  dirs.push(project);
  mkdirSync(join(project.path, ".hm"), { recursive: true });
  for (const place of places) {
    mkdirSync(join(project.path, place), { recursive: true });
    copyFileSync(fixturePath("noop-executor"), join(project.path, place, `noop.${LIBRARY_EXTENSION}`));
  }
  return project.path;
}

test("a plugin in <project>/.harmont/plugins/ is loaded like one in .hm/plugins/", async () => {
  const root = projectWithPlugin([".harmont/plugins"]);
  const list = await hm(["plugin", "list", "-d", root]);
  expect(list.exitCode).toBe(0);
  expect(list.stdout).toContain("harmont-fixture-noop");
  const info = await hm(["plugin", "info", "harmont-fixture-noop"], root);
  expect(info.exitCode).toBe(0);
  expect(JSON.parse(info.stdout).name).toBe("harmont-fixture-noop");
}, 60_000);

test(".hm/plugins/ shadows the same plugin in .harmont/plugins/", async () => {
  const root = projectWithPlugin([".harmont/plugins", ".hm/plugins"]);
  const list = await hm(["plugin", "list", "-d", root]);
  expect(list.exitCode).toBe(0);
  expect(list.stdout).toContain(
    `harmont-fixture-noop (${join(root, ".harmont", "plugins", `noop.${LIBRARY_EXTENSION}`)}) shadowed by ${join(root, ".hm", "plugins", `noop.${LIBRARY_EXTENSION}`)}`,
  );
}, 60_000);

test("hm plugin info docker describes the built-in runner in a manifest's shape", async () => {
  const info = await hm(["plugin", "info", "docker"]);
  expect(info.exitCode).toBe(0);
  const manifest = JSON.parse(info.stdout);
  expect(manifest).toMatchObject({
    name: "docker",
    version: HM_VERSION,
    built_in: true,
    capabilities: [{ kind: "step_executor", runner: "docker", default: true }],
  });
  expect(manifest.description).toContain("Docker engine");

  const unknown = await hm(["plugin", "info", "nosuch"]);
  expect(unknown.exitCode).toBe(2);
  expect(unknown.stderr).toContain("no plugin named 'nosuch'");
}, 60_000);
