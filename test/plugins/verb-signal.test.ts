/** Ctrl-C (SIGINT) during a plugin verb: the plugin is told to stop, hm exits 130, the verb's KV scope is gone. */

import { afterAll, expect, test } from "bun:test";
import { tempDir } from "../helpers/hm.ts";
import { stopWaitingVerb } from "../helpers/waiting-verb.ts";

const work = tempDir("hm-verb-signal-");
afterAll(() => work.cleanup());

test("SIGINT during a plugin verb stops it through keep_going and exits 130", async () => {
  // "stopped" (not "finished" after the plugin's 10 s) says keep_going turned 0 and hm waited for the verb.
  expect(await stopWaitingVerb(work.path, "SIGINT")).toEqual({ code: 130, rest: "stopped\n", buildRows: 0 });
});
