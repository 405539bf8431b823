/**
 * Fuzzing every decoder with random bytes and with mutated and truncated
 * valid encodings (seeded, so a failure reproduces): the only outcomes
 * allowed are a DecodeError for this message type, or a value that
 * re-encodes to exactly the input bytes (up to Value's two documented
 * normalisations). Anything else — another error, a hang, a crash — fails.
 */
import { describe, expect, test } from "bun:test";
import { DecodeError } from "../../src/protocol/index.ts";
import { cases, type MessageCase } from "./samples.ts";

const SEED = 0x5eed_2026;
const RANDOM_INPUTS = 4000;
const MUTATIONS = 20000;

/** mulberry32: small, fast, good enough to spread bytes around. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Whether `output` equals `input` except where Value normalised on decode:
 * a Float holding a safe integer re-encodes as an Int (tag 03 → 02, same
 * 8-byte width), and Some(Null) in an Option<Value> re-encodes as None
 * (01 00 → 00). Both sides are identical up to each rewrite, so a left-to-
 * right walk finds them exactly.
 */
export function sameUpToNormalisation(input: Uint8Array, output: Uint8Array): boolean {
  let i = 0;
  let j = 0;
  while (i < input.length && j < output.length) {
    if (input[i] === output[j]) {
      i++;
      j++;
    } else if (input[i] === 3 && output[j] === 2) {
      i += 9;
      j += 9;
    } else if (input[i] === 1 && input[i + 1] === 0 && output[j] === 0) {
      i += 2;
      j += 1;
    } else return false;
  }
  return i === input.length && j === output.length;
}

type Outcome = "decoded" | "refused";

function check(c: MessageCase, bytes: Uint8Array): Outcome {
  let value: unknown;
  try {
    value = c.decode(bytes);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw new Error(`${c.name}: ${error} for input ${hexOf(bytes)}`);
    if (error.messageType !== c.name || !(error.offset >= 0 && error.offset <= bytes.length)) {
      throw new Error(`${c.name}: bad DecodeError ${error.message} for input ${hexOf(bytes)}`);
    }
    return "refused";
  }
  const again = c.encode(value);
  if (!sameUpToNormalisation(bytes, again)) {
    throw new Error(`${c.name}: ${hexOf(bytes)} decoded but re-encoded as ${hexOf(again)}`);
  }
  if (!sameUpToNormalisation(again, c.encode(c.decode(again))))
    throw new Error(`${c.name}: not a fixed point`);
  return "decoded";
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("fuzz", () => {
  test("the normalisation check accepts exactly the two rewrites", () => {
    const h = (s: string) => new Uint8Array(Buffer.from(s.replace(/ /g, ""), "hex"));
    expect(sameUpToNormalisation(h("03 000000000000f03f"), h("02 0100000000000000"))).toBe(true);
    expect(sameUpToNormalisation(h("0a 01 00 0b"), h("0a 00 0b"))).toBe(true);
    expect(sameUpToNormalisation(h("0a 01 01 0b"), h("0a 00 0b"))).toBe(false);
    expect(sameUpToNormalisation(h("02 0000"), h("03 0000"))).toBe(false);
  });

  for (const c of cases) {
    test(`${c.name}: random and mutated inputs decode exactly or throw DecodeError`, () => {
      const random = prng(SEED ^ c.name.length);
      const byte = () => Math.floor(random() * 256);
      const counts: Record<Outcome, number> = { decoded: 0, refused: 0 };

      for (let n = 0; n < RANDOM_INPUTS; n++) {
        const bytes = Uint8Array.from({ length: Math.floor(random() * 48) }, byte);
        counts[check(c, bytes)]++;
      }

      const valid = c.samples.map((s) => c.encode(s));
      for (let n = 0; n < MUTATIONS; n++) {
        const base = valid[n % valid.length] as Uint8Array;
        const bytes = base.slice();
        const edits = 1 + Math.floor(random() * 3);
        for (let e = 0; e < edits && bytes.length > 0; e++) {
          const at = Math.floor(random() * bytes.length);
          // Half the edits are small nudges, which keep lengths and tags plausible and get deeper.
          bytes[at] = random() < 0.5 ? byte() : (bytes[at] as number) + (random() < 0.5 ? 1 : -1);
        }
        const cut = random() < 0.2 ? Math.floor(random() * bytes.length) : bytes.length;
        counts[check(c, bytes.subarray(0, cut))]++;
      }

      expect(counts.decoded + counts.refused).toBe(RANDOM_INPUTS + MUTATIONS);
      expect(counts.refused).toBeGreaterThan(0);
    });
  }
});
