/**
 * `bun scripts/parity-expected.ts <reference> <case-dir>... [--hm]`: regenerates a parity
 * case's `expected.json` (test/fixtures/sdk-parity, test/fixtures/toolchain-parity) by
 * rendering it with the reference `@harmont/hm` TypeScript SDK, the oracle hm is held to.
 * Not run in CI: the reference is not part of this repository.
 *
 * `<reference>` is a checkout of the reference repository, or a bare clone of it (its
 * HEAD is archived). The SDK is used from its sources (`crates/hm-dsl-engine/harmont-ts/src`).
 *
 * Each case is copied to a temporary directory outside this repository and rendered there,
 * with the copy as the working directory (the reference reads package.json and lockfiles
 * relative to it) and in a clean environment (`PATH` and an empty `HOME` only), at the
 * fixed time PARITY_NOW. Outside the repository because this repository's tsconfig maps
 * `@harmont/hm` to hm's own SDK: under it, the oracle would be hm itself. The copy keeps
 * every file of the case, the expected files included: the reference's `**` glob visits a
 * directory once per file in it, so the number of files in a directory changes the keys
 * of `onChange("**...")` policies. The copy's
 * parent holds `node_modules/{@harmont/hm,harmont,hm}`, modules that re-export the
 * reference's sources, and the render refuses to run unless the case's imports resolve there.
 *
 * `--hm` also renders the case with hm (`hm pipelines -d <case>`, as the parity tests run
 * it) and writes `expected.hm.json` where hm's output differs from the reference's (the
 * deliberate differences, test/helpers/parity.ts), removing a stale one where it does not.
 * The tests then check that the difference is only the deliberate one.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { PARITY_NOW } from "../test/helpers/parity.ts";

const ROOT = join(import.meta.dir, "..");
const SDK_IN_REPOSITORY = "crates/hm-dsl-engine/harmont-ts";
const IMPORT_NAMES = ["@harmont/hm", "harmont", "hm"];

/** Run inside the temporary copy: import the pipeline files, print the reference's envelope. */
async function renderHere(sdkSrc: string): Promise<void> {
  const projectDir = process.cwd();
  const hmDir = join(projectDir, ".hm");
  const modules = join(projectDir, "..", "node_modules");
  for (const name of IMPORT_NAMES) {
    const resolved = Bun.resolveSync(name, hmDir);
    if (!resolved.startsWith(modules)) throw new Error(`${name} resolves to ${resolved}, not the reference`);
  }
  const files = readdirSync(hmDir)
    .filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && !f.endsWith(".d.ts"))
    .sort();
  const definitions: unknown[] = [];
  for (const file of files) {
    const mod = (await import(join(hmDir, file))) as { default?: unknown; pipelines?: unknown };
    const found = mod.default ?? mod.pipelines;
    if (Array.isArray(found)) definitions.push(...found);
    else if (found !== undefined) definitions.push(found);
  }
  const sdk = (await import(join(sdkSrc, "index.ts"))) as {
    renderEnvelope(
      defs: unknown[],
      opts: { basePath: string; now: number; env: Record<string, string> },
    ): string;
  };
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  process.stdout.write(
    `${sdk.renderEnvelope(definitions, { basePath: projectDir, now: Number(PARITY_NOW), env })}\n`,
  );
}

/** The reference SDK's `src` directory, archived from a bare clone into `scratch` if need be. */
function referenceSdk(reference: string, scratch: string): string {
  const inCheckout = join(reference, SDK_IN_REPOSITORY, "src");
  if (existsSync(join(inCheckout, "index.ts"))) return inCheckout;
  const archive = Bun.spawnSync(["git", "-C", reference, "archive", "HEAD", SDK_IN_REPOSITORY], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (archive.exitCode !== 0) {
    throw new Error(`${reference} is neither a checkout nor a git clone of the reference: ${archive.stderr}`);
  }
  const unpack = Bun.spawnSync(["tar", "x", "-C", scratch], { stdin: archive.stdout, stderr: "pipe" });
  if (unpack.exitCode !== 0) throw new Error(`tar: ${unpack.stderr}`);
  return join(scratch, SDK_IN_REPOSITORY, "src");
}

/** `node_modules/<name>` packages whose entry points re-export the reference's sources. */
function linkSdk(modules: string, sdkSrc: string): void {
  for (const name of IMPORT_NAMES) {
    const dir = join(modules, name);
    mkdirSync(dir, { recursive: true });
    const exports = { ".": "./index.ts", "./toolchains": "./toolchains.ts" };
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, type: "module", exports }));
    writeFileSync(join(dir, "index.ts"), `export * from ${JSON.stringify(join(sdkSrc, "index.ts"))};\n`);
    const toolchains = join(sdkSrc, "toolchains", "index.ts");
    writeFileSync(join(dir, "toolchains.ts"), `export * from ${JSON.stringify(toolchains)};\n`);
  }
}

function run(command: string[], cwd: string, env: Record<string, string>): string {
  const result = Bun.spawnSync(command, { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) {
    throw new Error(`${command.join(" ")} (in ${cwd}) exited ${result.exitCode}:\n${result.stderr}`);
  }
  return result.stdout.toString();
}

interface Oracle {
  sdkSrc: string;
  scratch: string;
  env: Record<string, string>;
}

/** One pass over a case: the reference's envelope into `expected.json`, hm's into `expected.hm.json`. */
function renderCase(caseDir: string, oracle: Oracle, withHm: boolean): string {
  const copy = join(oracle.scratch, basename(caseDir));
  rmSync(copy, { recursive: true, force: true });
  cpSync(caseDir, copy, { recursive: true });
  writeFileSync(join(copy, "expected.json"), "");
  const render = [process.execPath, import.meta.path, "--render-here", oracle.sdkSrc];
  const expected = run(render, copy, oracle.env);
  writeFileSync(join(caseDir, "expected.json"), expected);
  if (!withHm) return "expected.json";
  const hmEnv = {
    ...oracle.env,
    HM_STATE_DIR: join(oracle.scratch, "state"),
    NO_COLOR: "1",
    SOURCE_DATE_EPOCH: PARITY_NOW,
  };
  const hm = run([process.execPath, join(ROOT, "src", "main.ts"), "pipelines", "-d", caseDir], ROOT, hmEnv);
  const hmPath = join(caseDir, "expected.hm.json");
  if (hm === expected) {
    rmSync(hmPath, { force: true });
    return "expected.json, hm renders the same";
  }
  writeFileSync(hmPath, hm);
  return "expected.json, expected.hm.json (hm differs)";
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "--render-here" && argv[1] !== undefined) return renderHere(argv[1]);
  const withHm = argv.includes("--hm");
  const [reference, ...cases] = argv.filter((a) => a !== "--hm");
  if (reference === undefined || cases.length === 0) {
    console.error("usage: bun scripts/parity-expected.ts <reference checkout or clone> <case-dir>... [--hm]");
    process.exit(2);
  }
  const scratch = mkdtempSync(join(tmpdir(), "hm-parity-expected-"));
  try {
    const sdkSrc = referenceSdk(resolve(reference), scratch);
    linkSdk(join(scratch, "node_modules"), sdkSrc);
    const home = join(scratch, "home");
    mkdirSync(home);
    const oracle = { sdkSrc, scratch, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home } };
    for (const caseDir of cases.map((c) => resolve(c))) {
      // A pass can add or remove expected.hm.json, and with it change the keys: repeat until it settles.
      for (let pass = 1; ; pass++) {
        const before = readdirSync(caseDir).join("\0");
        const written = renderCase(caseDir, oracle, withHm);
        if (readdirSync(caseDir).join("\0") === before) {
          console.log(`${caseDir}: ${written}`);
          break;
        }
        if (pass === 3) throw new Error(`${caseDir}: the expected files never settled`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
