/**
 * The reference-SDK parity corpora (test/fixtures/sdk-parity and
 * test/fixtures/toolchain-parity, see their READMEs): case directories, each
 * a project with the envelope the reference SDK rendered for it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The render time the expected envelopes were produced with (ttl cache keys depend on it). */
export const PARITY_NOW = "1750000000";

export interface ParityCorpus {
  readonly cases: string[];
  dir(name: string): string;
  /** What hm must print for the case: `expected.hm.json` where there is one, else the reference's. */
  expected(name: string): string;
  /** `expected.json`: what the reference SDK printed. */
  reference(name: string): string;
  /**
   * `expected.hm.json`, where hm deliberately renders differently from the
   * reference (see `referenceForm`); null where it renders the same.
   */
  deliberate(name: string): string | null;
}

export function parityCorpus(corpus: "sdk-parity" | "toolchain-parity"): ParityCorpus {
  const root = join(import.meta.dir, "..", "fixtures", corpus);
  const reference = (name: string) => readFileSync(join(root, name, "expected.json"), "utf8");
  const deliberate = (name: string) => {
    const path = join(root, name, "expected.hm.json");
    return existsSync(path) ? readFileSync(path, "utf8") : null;
  };
  return {
    cases: readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(),
    dir: (name) => join(root, name),
    expected: (name) => deliberate(name) ?? reference(name),
    reference,
    deliberate,
  };
}

const sdkParity = parityCorpus("sdk-parity");

export const parityCases: string[] = sdkParity.cases;
export const expectedEnvelope = sdkParity.expected;
export const caseDir = sdkParity.dir;

/**
 * hm's deliberate differences from the reference's toolchain commands, undone:
 * downloaded installer scripts run from a file after curl succeeded (the
 * reference pipes curl into a shell, which succeeds when curl fails), and
 * go, zig and Erlang builds are chosen by `uname -m` (the reference always
 * downloads amd64). What this maps back must be the reference's command.
 */
const REFERENCE_FORMS: readonly [RegExp, string][] = [
  [
    /curl -fsSL (https:\/\/deb\.nodesource\.com\/setup_\d+\.x) -o \/tmp\/nodesource-setup\.sh && bash \/tmp\/nodesource-setup\.sh/g,
    "curl -fsSL $1 | bash -",
  ],
  // A pinned version: hm passes it to the saved script, the reference to `bash -s` / `sh -s`.
  [
    /curl -fsSL https:\/\/bun\.sh\/install -o \/tmp\/bun-install\.sh && BUN_INSTALL=\/usr\/local bash \/tmp\/bun-install\.sh( "bun-v[^"]+")/g,
    "curl -fsSL https://bun.sh/install | BUN_INSTALL=/usr/local bash -s$1",
  ],
  [
    /curl -fsSL https:\/\/bun\.sh\/install -o \/tmp\/bun-install\.sh && BUN_INSTALL=\/usr\/local bash \/tmp\/bun-install\.sh/g,
    "curl -fsSL https://bun.sh/install | BUN_INSTALL=/usr/local bash",
  ],
  [
    /curl -fsSL https:\/\/deno\.land\/install\.sh -o \/tmp\/deno-install\.sh && sh \/tmp\/deno-install\.sh( "v[^"]+")/g,
    "curl -fsSL https://deno.land/install.sh | sh -s$1",
  ],
  [
    /curl -fsSL https:\/\/deno\.land\/install\.sh -o \/tmp\/deno-install\.sh && sh \/tmp\/deno-install\.sh/g,
    "curl -fsSL https://deno.land/install.sh | sh",
  ],
  [
    /curl -LsSf https:\/\/astral\.sh\/uv\/install\.sh -o \/tmp\/uv-install\.sh && sh \/tmp\/uv-install\.sh/g,
    "curl -LsSf https://astral.sh/uv/install.sh | sh",
  ],
  [
    /(curl --proto '=https' --tlsv1\.2 -sSf https:\/\/sh\.rustup\.rs) -o \/tmp\/rustup-init\.sh && sh \/tmp\/rustup-init\.sh /g,
    "$1 | sh -s -- ",
  ],
];

const ARCH_CASE =
  /case "\$\(uname -m\)" in x86_64\|amd64\) arch=(\S+) ;; aarch64\|arm64\) arch=\S+ ;; \*\) echo "hm: [a-z]+: no build for architecture \$\(uname -m\) \(x86_64 and aarch64 are supported\)" >&2; exit 1 ;; esac && /;

export function referenceForm(cmd: string): string {
  let form = cmd;
  for (const [pattern, replacement] of REFERENCE_FORMS) form = form.replace(pattern, replacement);
  const arch = ARCH_CASE.exec(form);
  if (arch !== null) form = form.replace(ARCH_CASE, "").replaceAll("$arch", arch[1] as string);
  return form;
}

const HASH_KEY = /^[0-9a-f]{12}$/;

/**
 * hm's envelope with its deliberate differences undone: commands in their
 * reference form, and the keys that hash a command (a step key derived from
 * it or its ancestors' commands, a cache key) replaced by a placeholder.
 * Equal to the same treatment of the reference's envelope when the two differ
 * only deliberately; labelled step keys must match as they are.
 */
export function withoutDeliberateDifferences(envelopeJson: string, undo: boolean): unknown {
  const envelope = JSON.parse(envelopeJson) as {
    pipelines: { definition: { graph: { nodes: { step: Record<string, unknown> }[] } } }[];
  };
  for (const pipeline of envelope.pipelines) {
    for (const { step } of pipeline.definition.graph.nodes) {
      if (undo) step.cmd = referenceForm(step.cmd as string);
      if (HASH_KEY.test(step.key as string)) step.key = "<hash>";
      const cache = step.cache as { key?: string } | undefined;
      if (cache?.key !== undefined) cache.key = "<hash>";
    }
  }
  return envelope;
}
