/**
 * Pipeline files written for the reference @harmont/hm SDK give the same
 * envelope under hm, byte for byte (cache keys included). The expected
 * files were produced by the reference SDK itself (see the fixtures' README).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runHm } from "../helpers/hm.ts";

const CORPUS = join(import.meta.dir, "..", "fixtures", "sdk-parity");
export const PARITY_NOW = "1750000000";
export const parityCases = readdirSync(CORPUS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

export function expectedEnvelope(name: string): string {
  return readFileSync(join(CORPUS, name, "expected.json"), "utf8");
}

export function caseDir(name: string): string {
  return join(CORPUS, name);
}

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
