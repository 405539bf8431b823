/** The reference-SDK parity corpus (test/fixtures/sdk-parity, see its README). */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const CORPUS = join(import.meta.dir, "..", "fixtures", "sdk-parity");

/** The render time the expected envelopes were produced with (ttl cache keys depend on it). */
export const PARITY_NOW = "1750000000";

export const parityCases: string[] = readdirSync(CORPUS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

export function expectedEnvelope(name: string): string {
  return readFileSync(join(CORPUS, name, "expected.json"), "utf8");
}

export function caseDir(name: string): string {
  return join(CORPUS, name);
}
