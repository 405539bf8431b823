/**
 * The one signal policy (`docs/design.md`, "Signals") where it is not `hm run`'s:
 * SIGTERM stops a plugin verb as the first Ctrl-C does and exits 143. (A
 * command writing a file that must not outlive it, `hm cache save`, is
 * stopped by SIGINT and SIGTERM in test/docker/cache-commands.test.ts.)
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "./helpers/hm.ts";
import { stopWaitingVerb } from "./helpers/waiting-verb.ts";

const scratch = tempDir("hm-signals-");
afterAll(() => scratch.cleanup());

test("SIGTERM during a plugin verb stops it through keep_going and exits 143", async () => {
  expect(await stopWaitingVerb(join(scratch.path, "verb"), "SIGTERM")).toEqual({
    code: 143,
    rest: "stopped\n",
    buildRows: 0,
  });
});
