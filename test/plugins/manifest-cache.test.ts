/**
 * The manifest cache: a plugin file seen before is not opened again at
 * start-up; a changed file is; a damaged cache file is ignored.
 */
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { HM_VERSION } from "../../src/version.ts";
import { runHm, tempDir } from "../helpers/hm.ts";
import { fixturePath } from "../helpers/native.ts";

const scratch = tempDir("hm-manifest-cache-");
afterAll(() => scratch.cleanup());

test("a file seen before is listed from the cache; touching it, or a damaged cache, reads it again", async () => {
  const plugins = join(scratch.path, "plugins");
  mkdirSync(plugins);
  const noop = join(plugins, `noop.${LIBRARY_EXTENSION}`);
  const probe = join(plugins, `probe.${LIBRARY_EXTENSION}`);
  copyFileSync(fixturePath("noop-executor"), noop);
  copyFileSync(fixturePath("host-fn-probe"), probe);
  const env = { HOME: scratch.path, HM_PLUGIN_PATH: plugins };
  const list = async () => (await runHm(["plugin", "list"], { env })).stdout;

  expect(await list()).toContain("harmont-fixture-noop");
  const cacheFile = join(scratch.path, ".cache", "hm", `manifests-${HM_VERSION}.json`);
  const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as Record<
    string,
    { stamp: string; manifest: string }
  >;
  expect(Object.keys(cache)).toContain(noop);

  // Give noop's entry the probe's manifest: a listing that shows it came from the cache, not the file.
  const forged = { ...cache, [noop]: { ...cache[noop], manifest: cache[probe]?.manifest } };
  writeFileSync(cacheFile, JSON.stringify(forged));
  const fromCache = await list();
  expect(fromCache).not.toContain("harmont-fixture-noop");
  // Two files of one directory now claim the probe's name and verb.
  expect(fromCache).toContain(`both 'harmont-fixture-probe' (${noop})`);

  // The file changed (its mtime): it is opened again.
  utimesSync(noop, new Date(), new Date(Date.now() + 5000));
  expect(await list()).toContain("harmont-fixture-noop");

  writeFileSync(cacheFile, "{ not json");
  const afterDamage = await list();
  expect(afterDamage).toContain("harmont-fixture-noop");
  expect(afterDamage).toContain("harmont-fixture-probe");
});

test("switching between two projects' plugins keeps both in the cache; a removed file's entry goes", async () => {
  const home = join(scratch.path, "switching");
  const [a, b] = [join(home, "a"), join(home, "b")];
  mkdirSync(a, { recursive: true });
  mkdirSync(b, { recursive: true });
  const inA = join(a, `noop.${LIBRARY_EXTENSION}`);
  const inB = join(b, `probe.${LIBRARY_EXTENSION}`);
  copyFileSync(fixturePath("noop-executor"), inA);
  copyFileSync(fixturePath("host-fn-probe"), inB);
  const cacheFile = join(home, ".cache", "hm", `manifests-${HM_VERSION}.json`);
  // The bundled shell runner is cached too; only these two files are the test's.
  const cached = () =>
    Object.keys(JSON.parse(readFileSync(cacheFile, "utf8")) as object)
      .filter((library) => library.startsWith(home))
      .sort();
  await runHm(["plugin", "list"], { env: { HOME: home, HM_PLUGIN_PATH: a } });
  await runHm(["plugin", "list"], { env: { HOME: home, HM_PLUGIN_PATH: b } });
  // Forgetting a's entry would cost every switch back a contained read of its plugins.
  expect(cached()).toEqual([inA, inB].sort());
  rmSync(inA);
  await runHm(["plugin", "list"], { env: { HOME: home, HM_PLUGIN_PATH: b } });
  expect(cached()).toEqual([inB]);
});
