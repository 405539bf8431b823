/**
 * `bun scripts/build-native.ts`: compiles hm's C code with the system compiler (`CC`, else `cc`).
 * - every `fixtures/<name>/` becomes `build/fixtures/<name>.<so|dylib>` (test plugins and non-plugins);
 * - every `plugins/<name>/` except `sdk` becomes `build/plugins/<name>.<so|dylib>` (first-party plugins).
 * A library is rebuilt only when its inputs changed: the sha256 of the compiler, the flags, its
 * sources and every header it can include is kept next to it in `<library>.sha256`. Libraries
 * build in parallel and land atomically (temp file + rename), so a concurrent build, or a
 * process that has the old library open, never sees a half-written file.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join, relative } from "node:path";

const ROOT = join(import.meta.dir, "..");
const SDK_DIR = join(ROOT, "plugins", "sdk");
const EXTENSION = process.platform === "darwin" ? "dylib" : process.platform === "win32" ? "dll" : "so";
const FLAGS = ["-std=c99", "-O2", "-shared", "-fPIC", "-Wall", "-Wextra", "-pedantic", "-Werror"];

type Kind = "fixtures" | "plugins";

/** Library name (the directory's name) → absolute path, per kind. */
export type NativeLibraries = Record<Kind, Record<string, string>>;

interface Target {
  kind: Kind;
  name: string;
  sources: string[];
  /** Every file whose change means a rebuild: the sources, the directory's headers, the SDK's. */
  inputs: string[];
  output: string;
}

/** A compiler that failed (or could not start); the message names the sources and holds its output. */
export class NativeBuildError extends Error {
  override readonly name = "NativeBuildError";
}

export interface BuildOptions {
  quiet?: boolean;
  kinds?: readonly Kind[];
  /** Cross-compiling: the compiler command, where libraries go, and their extension. */
  cross?: { compiler: string[]; outRoot: string; extension: string };
}

export async function buildNative(options: BuildOptions = {}): Promise<NativeLibraries> {
  const started = performance.now();
  const compiler = options.cross?.compiler ?? compilerCommand();
  const layout = {
    outRoot: options.cross?.outRoot ?? join(ROOT, "build"),
    extension: options.cross?.extension ?? EXTENSION,
  };
  const sdkHeaders = await filesEndingWith(SDK_DIR, ".h");
  const kinds = options.kinds ?? ["fixtures", "plugins"];
  const targets = (
    await Promise.all(kinds.map((kind) => targetsIn(kind, join(ROOT, kind), sdkHeaders, layout)))
  ).flat();
  const outcomes = await inParallel(
    targets.map((target) => () => buildIfChanged(target, compiler)),
    availableParallelism(),
  );

  const failures = outcomes.flatMap((o) => (o.status === "rejected" ? [errorText(o.reason)] : []));
  if (failures.length > 0) throw new NativeBuildError(failures.join("\n\n"));

  const built = targets.filter((_, i) => {
    const outcome = outcomes[i];
    return outcome?.status === "fulfilled" && outcome.value;
  });
  if (!options.quiet) {
    for (const target of built) console.error(`built ${relative(ROOT, target.output)}`);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.error(`native: ${built.length} built, ${targets.length - built.length} up to date (${seconds}s)`);
  }
  const libraries: NativeLibraries = { fixtures: {}, plugins: {} };
  for (const target of targets) libraries[target.kind][target.name] = target.output;
  return libraries;
}

/** `CC` may carry arguments (`CC="ccache gcc"`). */
function compilerCommand(): string[] {
  const words = (process.env.CC ?? "").trim().split(/\s+/).filter(Boolean);
  const command = words.length > 0 ? words : ["cc"];
  if (!Bun.which(command[0] ?? "cc")) {
    throw new NativeBuildError(`cannot find the C compiler '${command[0]}' (install one, or set CC)`);
  }
  return command;
}

async function filesEndingWith(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(dir, e.name))
    .sort();
}

/** One target per subdirectory of `parent` (none when it does not exist); `plugins/sdk` is the header. */
async function targetsIn(
  kind: Kind,
  parent: string,
  sdkHeaders: string[],
  layout: { outRoot: string; extension: string },
): Promise<Target[]> {
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => e.isDirectory() && !(kind === "plugins" && e.name === "sdk"))
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const dir = join(parent, name);
      const sources = await filesEndingWith(dir, ".c");
      if (sources.length === 0) throw new NativeBuildError(`${relative(ROOT, dir)}: no .c file to build`);
      const inputs = [...sources, ...(await filesEndingWith(dir, ".h")), ...sdkHeaders];
      return {
        kind,
        name,
        sources,
        inputs,
        output: join(layout.outRoot, kind, `${name}.${layout.extension}`),
      };
    }),
  );
}

/** Compiles `target` unless its stamp matches; resolves to whether it compiled. */
async function buildIfChanged(target: Target, compiler: string[]): Promise<boolean> {
  const digest = await inputDigest(target, compiler);
  const stampFile = `${target.output}.sha256`;
  const stamp = await readFile(stampFile, "utf8").catch(() => "");
  const present = await stat(target.output).then(
    () => true,
    () => false,
  );
  if (present && stamp.trim() === digest) return false;

  await mkdir(dirname(target.output), { recursive: true });
  const temp = `${target.output}.tmp-${process.pid}-${crypto.randomUUID()}`;
  try {
    await compile(target, compiler, temp);
    await rename(temp, target.output);
  } finally {
    await rm(temp, { force: true });
  }
  await writeAtomically(stampFile, `${digest}\n`);
  return true;
}

async function inputDigest(target: Target, compiler: string[]): Promise<string> {
  const hash = createHash("sha256");
  hash.update(
    JSON.stringify({ compiler, flags: FLAGS, include: relative(ROOT, SDK_DIR), platform: process.platform }),
  );
  for (const file of target.inputs) {
    hash.update(`\0${relative(ROOT, file)}\0`);
    hash.update(await readFile(file));
  }
  return hash.digest("hex");
}

async function compile(target: Target, compiler: string[], output: string): Promise<void> {
  const command = [...compiler, ...FLAGS, "-I", SDK_DIR, "-o", output, ...target.sources];
  const files = target.sources.map((s) => relative(ROOT, s)).join(" ");
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn(command, { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  } catch (error) {
    throw new NativeBuildError(
      `cannot run the C compiler '${compiler[0]}' for ${files} (set CC to choose another): ${errorText(error)}`,
    );
  }
  const [exitCode, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout as ReadableStream).text(),
    new Response(child.stderr as ReadableStream).text(),
  ]);
  if (exitCode !== 0) {
    const output = `${stdout}${stderr}`.trimEnd();
    throw new NativeBuildError(
      `failed to compile ${files} (${target.kind}/${target.name}), ${compiler.join(" ")} exited ${exitCode}` +
        (output ? `:\n${output}` : ""),
    );
  }
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${crypto.randomUUID()}`;
  await writeFile(temp, content);
  await rename(temp, file);
}

/** Runs the jobs with at most `limit` at a time, collecting every outcome. */
async function inParallel<T>(jobs: (() => Promise<T>)[], limit: number): Promise<PromiseSettledResult<T>[]> {
  const outcomes: PromiseSettledResult<T>[] = new Array(jobs.length);
  const queue = jobs.entries();
  const worker = async () => {
    for (const [index, job] of queue) {
      try {
        outcomes[index] = { status: "fulfilled", value: await job() };
      } catch (reason) {
        outcomes[index] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  return outcomes;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

if (import.meta.main) {
  // `--postinstall` (bun install): first-party plugins only, and a failure is a warning, so a
  // machine without a C compiler still installs; hm then says the `shell` runner is missing.
  const postinstall = process.argv.includes("--postinstall");
  try {
    await buildNative(postinstall ? { kinds: ["plugins"] } : {});
  } catch (error) {
    console.error(`build-native: ${errorText(error)}`);
    if (postinstall) console.error("build-native: hm's bundled plugins (the shell runner) are not available");
    process.exit(postinstall ? 0 : 1);
  }
}
