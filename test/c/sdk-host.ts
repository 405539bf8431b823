/**
 * Builds and runs test/c/sdk-host.c, the C host that drives the SDK's dispatch through its error
 * replies and a fuzz loop, with AddressSanitizer and UndefinedBehaviorSanitizer. The fuzz seeds
 * are hm's own encodings of the protocol samples, so the loop starts from inputs hm really sends.
 * Used by test/c/sdk-host.test.ts and, as `bun test/c/sdk-host.ts`, by .ci/run.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeExecutorInput, encodeHookEvent, encodeSubcommandInput } from "../../src/protocol/index.ts";
import { buildEvents, executorInputs, hookEvents, subcommandInputs } from "../protocol/samples.ts";

const REPO_ROOT = join(import.meta.dir, "..", "..");
const SDK_DIR = join(REPO_ROOT, "plugins", "sdk");
const HOST_SOURCE = join(import.meta.dir, "sdk-host.c");
const WARNINGS = ["-Wall", "-Wextra", "-pedantic", "-Werror"];
const SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"];

/** The configurations the header promises to compile warning-free in. */
export const HEADER_VARIANTS: readonly { name: string; flags: readonly string[] }[] = [
  { name: "C99", flags: ["-std=c99"] },
  { name: "C11", flags: ["-std=c11"] },
  { name: "C99 HM_PLUGIN_STATIC", flags: ["-std=c99", "-DHM_PLUGIN_STATIC"] },
  { name: "C11 HM_PLUGIN_STATIC", flags: ["-std=c11", "-DHM_PLUGIN_STATIC"] },
  { name: "C99 HM_PLUGIN_NO_THREAD_LOCAL", flags: ["-std=c99", "-DHM_PLUGIN_NO_THREAD_LOCAL"] },
  { name: "C11 HM_PLUGIN_NO_THREAD_LOCAL", flags: ["-std=c11", "-DHM_PLUGIN_NO_THREAD_LOCAL"] },
];

export interface CommandResult {
  exitCode: number;
  output: string;
}

/** `CC` may carry arguments (`CC="ccache gcc"`), as in scripts/build-native.ts. */
function compiler(): string[] {
  const words = (process.env.CC ?? "").trim().split(/\s+/).filter(Boolean);
  return words.length > 0 ? words : ["cc"];
}

async function run(command: string[], env?: Record<string, string>): Promise<CommandResult> {
  const child = Bun.spawn(command, {
    cwd: REPO_ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const [exitCode, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { exitCode, output: `${stdout}${stderr}`.trimEnd() };
}

/** Compiles the host (header, implementation and a plugin) in one variant, warnings as errors. */
export function compileVariant(flags: readonly string[], outDir: string): Promise<CommandResult> {
  return run([
    ...compiler(),
    ...flags,
    "-O2",
    ...WARNINGS,
    "-I",
    SDK_DIR,
    "-c",
    "-o",
    join(outDir, "variant.o"),
    HOST_SOURCE,
  ]);
}

/** Why the compiler cannot build and run a sanitized program here, or null when it can. */
export async function sanitizersMissing(workDir: string): Promise<string | null> {
  const probe = join(workDir, "probe.c");
  await writeFile(probe, "int main(void) { return 0; }\n");
  const built = await run([...compiler(), ...SANITIZE, "-o", join(workDir, "probe"), probe]);
  if (built.exitCode !== 0) {
    return `${compiler().join(" ")} cannot build with -fsanitize=address,undefined: ${built.output.split("\n")[0]}`;
  }
  const ran = await run([join(workDir, "probe")]);
  if (ran.exitCode !== 0) return `a sanitized program does not run here: ${ran.output.split("\n")[0]}`;
  return null;
}

/** Writes hm's encodings of the protocol samples as METHOD:FILE arguments for the host. */
async function writeSeeds(workDir: string): Promise<string[]> {
  const seeds: [number, Uint8Array][] = [
    ...executorInputs.map((input): [number, Uint8Array] => [1, encodeExecutorInput(input)]),
    ...buildEvents.flatMap((event): [number, Uint8Array][] => [
      [2, encodeHookEvent({ event, phase: "before" })],
      [2, encodeHookEvent({ event, phase: "after" })],
    ]),
    // Protocol 3's step_logs batches, which only hooks receive.
    ...hookEvents
      .filter((h) => h.event.kind === "step_logs")
      .map((h): [number, Uint8Array] => [2, encodeHookEvent(h)]),
    ...subcommandInputs.map((input): [number, Uint8Array] => [3, encodeSubcommandInput(input)]),
  ];
  return Promise.all(
    seeds.map(async ([method, bytes], i) => {
      const file = join(workDir, `seed-${i}.bin`);
      await writeFile(file, bytes);
      return `${method}:${file}`;
    }),
  );
}

/** Compiles sdk-host.c with the sanitizers and runs its checks and `iterations` fuzz inputs. */
export async function runSdkHost(workDir: string, iterations: number): Promise<CommandResult> {
  const binary = join(workDir, "sdk-host");
  const built = await run([
    ...compiler(),
    "-std=c99",
    "-g",
    "-O1",
    ...SANITIZE,
    ...WARNINGS,
    "-I",
    SDK_DIR,
    "-o",
    binary,
    HOST_SOURCE,
  ]);
  if (built.exitCode !== 0)
    return { exitCode: built.exitCode, output: `compiling sdk-host.c:\n${built.output}` };
  return run([binary, String(iterations), ...(await writeSeeds(workDir))], {
    ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0",
    UBSAN_OPTIONS: "print_stacktrace=1:halt_on_error=1",
  });
}

export const FUZZ_ITERATIONS = 100_000;

if (import.meta.main) {
  // .ci/run: every variant compiles warning-free, then the sanitized host passes (or is skipped,
  // saying why, when this compiler has no sanitizers).
  const workDir = await mkdtemp(join(tmpdir(), "hm-sdk-host-"));
  let failed = false;
  try {
    for (const variant of HEADER_VARIANTS) {
      const result = await compileVariant(variant.flags, workDir);
      if (result.exitCode !== 0) {
        failed = true;
        console.error(`sdk-host: hm_plugin.h does not compile cleanly as ${variant.name}:\n${result.output}`);
      }
    }
    const missing = await sanitizersMissing(workDir);
    if (missing) {
      console.log(`sdk-host: skipped the sanitized run: ${missing}`);
    } else {
      const result = await runSdkHost(workDir, FUZZ_ITERATIONS);
      console.log(result.output);
      if (result.exitCode !== 0) failed = true;
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}
