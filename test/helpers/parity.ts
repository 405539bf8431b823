/**
 * The reference-SDK parity corpora (test/fixtures/sdk-parity and
 * test/fixtures/toolchain-parity, see their READMEs): case directories, each
 * a project with the envelope the reference SDK rendered for it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The render time the expected envelopes were produced with (ttl cache keys depend on it). */
export const PARITY_NOW = "1750000000";

export interface ParityCorpus {
  readonly cases: string[];
  dir(name: string): string;
  expected(name: string): string;
}

export function parityCorpus(corpus: "sdk-parity" | "toolchain-parity"): ParityCorpus {
  const root = join(import.meta.dir, "..", "fixtures", corpus);
  return {
    cases: readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(),
    dir: (name) => join(root, name),
    expected: (name) => readFileSync(join(root, name, "expected.json"), "utf8"),
  };
}

const sdkParity = parityCorpus("sdk-parity");

export const parityCases: string[] = sdkParity.cases;
export const expectedEnvelope = sdkParity.expected;
export const caseDir = sdkParity.dir;
