/** Runs before any test file: builds the native fixtures and first-party plugins (only what changed). */

import { afterAll, setDefaultTimeout } from "bun:test";
import { plugin } from "bun";
import { buildNative } from "../scripts/build-native.ts";

/**
 * Tests start processes, containers and builds: 60 s each unless a test says otherwise (a test
 * that starts hm eight times took 10 s at a load of 14 on 2 cores, and over 30 s at 21).
 * In Bun 1.4.5 neither bunfig.toml's `[test] timeout` nor a `setDefaultTimeout` here reaches
 * the second and later files of a run (they got 5 s: tests failed at 5.0 s on a loaded
 * machine), so each test file gets the call prepended as it loads, on its first line so
 * that line numbers stay right.
 */
const TEST_TIMEOUT_MS = 60_000;
setDefaultTimeout(TEST_TIMEOUT_MS);
plugin({
  name: "hm-test-timeout",
  setup(build) {
    build.onLoad({ filter: /\.test\.ts$/ }, async ({ path }) => ({
      contents: `import { setDefaultTimeout as hmSetDefaultTimeout } from "bun:test"; hmSetDefaultTimeout(${TEST_TIMEOUT_MS}); ${await Bun.file(path).text()}`,
      loader: "ts",
    }));
  },
});
await buildNative({ quiet: true });

// A global hook (registered in the preload): runs once, after every test file.
afterAll(async () => (await import("./helpers/hm.ts")).removeEmptyHome());
