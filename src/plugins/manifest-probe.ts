/**
 * Reads the manifests of plugins hm has not seen before in a separate
 * process, so no plugin code runs in the CLI's own: hm starts itself with
 * the hidden verb `__manifests` (manifest-probe-child.ts), which opens each
 * library (dlopen runs its constructors) and makes its manifest call, and
 * writes what happened as it goes to its file descriptor 3 (an unlinked
 * temporary file). A plugin that crashes,
 * exits or hangs there ends that process alone; the results file says which
 * plugin it was in, and the others are read by a new process.
 *
 * All new plugins go to one process (one start-up, about as long as `hm
 * version`), in order. When it dies in plugin k, plugin k is read again
 * first in a new process unless it already was first, so a plugin is only
 * blamed for a death it caused on its own; the plugins after it follow.
 */
import { closeSync, fstatSync, openSync, readSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as v from "valibot";

/** How long opening one library, and then its manifest call, may take. */
export const MANIFEST_CALL_LIMIT_S = 5;

/** The verb `hm` answers as the manifest reader (registered in src/cli/internal-verbs.ts). */
export const MANIFEST_VERB = "__manifests";

/** What the reader writes, one JSON object a line: where it is, then what it found. */
const ProbeRecordSchema = v.union([
  v.object({ i: v.number(), stage: v.picklist(["load", "manifest"]) }),
  v.object({ i: v.number(), manifest: v.string() }),
  v.object({ i: v.number(), broken: v.string(), lasting: v.boolean() }),
]);
export type ProbeRecord = v.InferOutput<typeof ProbeRecordSchema>;
type Stage = "load" | "manifest";

/**
 * What reading one library found. `lasting`: the verdict holds as long as
 * the file is unchanged, so the manifest cache may keep it.
 */
export type ProbeVerdict =
  | { readonly manifest: Uint8Array }
  | { readonly broken: string; readonly lasting: boolean };

/** Signals a process gets from its own code going wrong: a property of the plugin, not of the moment. */
const CRASH_SIGNALS = new Set(["SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT", "SIGTRAP", "SIGSYS"]);

/**
 * Stderr kept from the reader (Bun's crash report is a few KiB): a plugin
 * that writes more while it is read ends the reader and is broken for it.
 */
const STDERR_LIMIT = 1 << 20;

/** Reads each library in a process other than this one; verdicts in the order of `paths`. */
export function probeManifests(paths: readonly string[]): ProbeVerdict[] {
  const verdicts: (ProbeVerdict | undefined)[] = new Array(paths.length);
  let remaining = paths.map((_, i) => i);
  while (remaining.length > 0) {
    const round = runReader(remaining.map((i) => paths[i] as string));
    for (const [k, verdict] of round.verdicts) verdicts[remaining[k] as number] = verdict;
    if (round.death === null) break;
    const { at, verdict, hang } = round.death;
    if (at === null) {
      // The reader died outside any plugin (an hm fault): say so for every plugin it did not answer.
      for (const i of remaining) verdicts[i] ??= verdict;
      break;
    }
    // A death while other plugins were loaded in the same process may be theirs: read this one
    // first in a new process. A hang is timed from the plugin's own start: it is this plugin's.
    if (at > 0 && !hang) {
      remaining = remaining.slice(at);
      continue;
    }
    verdicts[remaining[at] as number] = verdict;
    remaining = remaining.slice(at + 1);
  }
  return verdicts.map(
    (v) => v ?? { broken: "the manifest reader ended without an answer for it", lasting: false },
  );
}

interface Round {
  /** Answers by position in the round's list. */
  readonly verdicts: Map<number, ProbeVerdict>;
  /** How the reader died, and in which plugin (null: outside any); null when it finished. */
  readonly death: { at: number | null; verdict: ProbeVerdict; hang: boolean } | null;
}

function runReader(paths: readonly string[]): Round {
  // The results file has no name once the reader has it: nothing is left behind, whatever ends hm.
  const named = join(tmpdir(), `hm-manifests-${process.pid}-${crypto.randomUUID()}.jsonl`);
  const results = openSync(named, "w+", 0o600);
  unlinkSync(named);
  let child: ReturnType<typeof Bun.spawnSync>;
  try {
    child = Bun.spawnSync([...selfCommand(), MANIFEST_VERB, ...paths.map((p) => resolve(p))], {
      ...selfOptions(),
      stdio: ["ignore", "ignore", "pipe", results],
      maxBuffer: STDERR_LIMIT,
      // A safety net only: the reader's own alarm ends a plugin that holds it longer than the limit.
      timeout: (10 + MANIFEST_CALL_LIMIT_S * 2 * paths.length) * 1000,
      killSignal: "SIGKILL",
    });
  } catch (error) {
    closeSync(results);
    const why = error instanceof Error ? error.message : String(error);
    return {
      verdicts: new Map(),
      death: { at: null, verdict: failure(`cannot start: ${why}`), hang: false },
    };
  }
  const records = readRecords(results);
  closeSync(results);

  const verdicts = new Map<number, ProbeVerdict>();
  let current: { at: number; stage: Stage } | null = null;
  for (const record of records) {
    if ("stage" in record) current = { at: record.i, stage: record.stage };
    else if ("manifest" in record)
      verdicts.set(record.i, { manifest: Buffer.from(record.manifest, "base64") });
    else verdicts.set(record.i, { broken: record.broken, lasting: record.lasting });
  }
  if (child.success && verdicts.size === paths.length) return { verdicts, death: null };

  const inPlugin = current !== null && !verdicts.has(current.at) ? current : null;
  const stage = inPlugin?.stage === "load" ? "while loading" : "in manifest";
  const death = (verdict: ProbeVerdict, hang = false) => ({
    verdicts,
    death: { at: inPlugin?.at ?? null, verdict, hang },
  });
  if (inPlugin === null) {
    const stderr = child.stderr?.toString().trim().split("\n").at(-1) ?? "";
    return death(failure(`${endOf(child)}${stderr === "" ? "" : `: ${stderr}`}`));
  }
  if (child.exitedDueToTimeout || child.signalCode === "SIGALRM")
    return death({ broken: `no answer within ${MANIFEST_CALL_LIMIT_S} s ${stage}`, lasting: false }, true);
  if (child.exitedDueToMaxBuffer)
    return death({ broken: `wrote more than 1 MiB to stderr ${stage}`, lasting: false });
  const signal = child.signalCode;
  if (typeof signal === "string") {
    const lasting = CRASH_SIGNALS.has(signal);
    return death({ broken: `${lasting ? "crashed" : "killed"} (${signal}) ${stage}`, lasting });
  }
  return death({ broken: `exited (code ${child.exitCode}) ${stage}`, lasting: true });
}

/** How the reader's process ended, for a failure that is hm's. */
function endOf(child: ReturnType<typeof Bun.spawnSync>): string {
  if (child.exitedDueToTimeout) return "the manifest reader did not finish";
  if (child.signalCode !== undefined) return `the manifest reader was killed (${child.signalCode})`;
  return `the manifest reader exited with code ${child.exitCode}`;
}

function failure(reason: string): ProbeVerdict {
  return { broken: `could not be read: ${reason}`, lasting: false };
}

/** The records the reader wrote, in order; a line cut short by its death is dropped. */
function readRecords(fd: number): ProbeRecord[] {
  const bytes = Buffer.alloc(fstatSync(fd).size);
  readSync(fd, bytes, 0, bytes.length, 0);
  const records: ProbeRecord[] = [];
  for (const line of bytes.toString("utf8").split("\n")) {
    if (line === "") continue;
    try {
      const parsed = v.safeParse(ProbeRecordSchema, JSON.parse(line));
      if (parsed.success) records.push(parsed.output);
    } catch {
      // the last line, cut short
    }
  }
  return records;
}

/**
 * This hm, as a command: the compiled binary is the program itself; from
 * source it is Bun running src/main.ts (not `Bun.main`, which is a test
 * file under `bun test`).
 */
function selfCommand(): string[] {
  if (import.meta.url.includes("/$bunfs/")) return [process.execPath];
  return [process.execPath, join(import.meta.dir, "..", "main.ts")];
}

/**
 * From source, Bun reads `bunfig.toml` in the working directory: hm's own
 * repository, not the user's project. The compiled binary reads none.
 */
function selfOptions(): { cwd?: string; env: Record<string, string | undefined> } {
  const env = { ...process.env };
  delete env.BUN_BE_BUN; // would make the binary act as `bun`
  if (import.meta.url.includes("/$bunfs/")) return { env };
  return { cwd: join(import.meta.dir, "..", ".."), env };
}
