/**
 * Pipeline files written for the reference @harmont/hm SDK give the same
 * envelope under hm, byte for byte (cache keys included). The expected
 * files were produced by the reference SDK itself (see the fixtures' README).
 */
import { describe, expect, test } from "bun:test";
import { runHm } from "../helpers/hm.ts";
import { caseDir, expectedEnvelope, PARITY_NOW, parityCases } from "../helpers/parity.ts";

describe("reference SDK parity", () => {
  test("the corpus is present", () => {
    expect(parityCases.length).toBeGreaterThanOrEqual(30);
  });

  for (const name of parityCases) {
    test(`hm pipelines renders '${name}' exactly as the reference SDK`, async () => {
      const result = await runHm(["pipelines", "-d", caseDir(name)], {
        env: { SOURCE_DATE_EPOCH: PARITY_NOW },
      });
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(expectedEnvelope(name));
    });
  }

  test("hm render prints one pipeline's definition from the same envelope", async () => {
    const envelope = JSON.parse(expectedEnvelope("multi-pipeline"));
    for (const pipeline of envelope.pipelines) {
      const result = await runHm(["render", pipeline.slug, "-d", caseDir("multi-pipeline")], {
        env: { SOURCE_DATE_EPOCH: PARITY_NOW },
      });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(`${JSON.stringify(pipeline.definition)}\n`);
    }
  });
});
