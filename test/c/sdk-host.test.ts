/** The C SDK (plugins/sdk/hm_plugin.h) under a C host: compile variants, error replies, fuzzing. */
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  compileVariant,
  FUZZ_ITERATIONS,
  HEADER_VARIANTS,
  runSdkHost,
  sanitizersMissing,
} from "./sdk-host.ts";

const workDir = await mkdtemp(join(tmpdir(), "hm-sdk-host-test-"));
afterAll(() => rm(workDir, { recursive: true, force: true }));

const missing = await sanitizersMissing(workDir);
if (missing) console.warn(`skipping the sanitized SDK host: ${missing}`);

for (const variant of HEADER_VARIANTS) {
  test(`hm_plugin.h, its implementation and a plugin compile warning-free as ${variant.name}`, async () => {
    const result = await compileVariant(variant.flags, workDir);
    expect(result.output).toBe("");
    expect(result.exitCode).toBe(0);
  });
}

test.skipIf(missing !== null)(
  "the SDK's dispatch gives every error reply and survives a fuzz loop under ASan and UBSan",
  async () => {
    const result = await runSdkHost(workDir, FUZZ_ITERATIONS);
    expect(result.output).toMatch(/^sdk-host: \d+ checks, 0 failed; 100000 fuzz inputs from \d+ seeds/m);
    // Every seed (hm's encoding of a protocol sample) decodes, so the loop mutates real inputs.
    const [, seeds, accepted] = result.output.match(/from (\d+) seeds \((\d+) accepted\)/) ?? [];
    expect(accepted).toBe(seeds);
    expect(result.exitCode).toBe(0);
  },
  120_000,
);
