/** Whole commands timed from outside: wall time from spawn to exit, and the child's peak RSS. */
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Command {
  readonly name: string;
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** Where its stdout goes (default /dev/null). */
  readonly stdout?: string;
  /** Runs before each timed run, untimed (fresh state directories, cleanup). */
  readonly before?: () => void | Promise<void>;
  /** Checks a finished run (exit code, output); throws to fail the benchmark. */
  readonly check?: (exitCode: number) => void;
  /** Failed runs to retry before giving up (each retry is reported). */
  readonly retries?: number;
}

export interface CommandSamples {
  /** Wall milliseconds, one per run. */
  readonly ms: number[];
  /** Peak RSS in MiB of the process itself (not its children), one per run. */
  readonly rssMiB: number[];
  /** Why runs that were retried failed. */
  readonly retried: string[];
}

export async function runOnce(command: Command): Promise<{ ms: number; rssMiB: number; exitCode: number }> {
  await command.before?.();
  const stdout = openSync(command.stdout ?? "/dev/null", "w");
  // stderr goes to a file, not a pipe: a command may print a great deal there (the plain renderer).
  const stderrPath = join(tmpdir(), `hm-bench-stderr-${process.pid}-${crypto.randomUUID()}`);
  const stderr = openSync(stderrPath, "w");
  try {
    const started = performance.now();
    const proc = Bun.spawn([...command.argv], {
      cwd: command.cwd,
      env: command.env ?? (process.env as Record<string, string>),
      stdin: "ignore",
      stdout,
      stderr,
    });
    const exitCode = await proc.exited;
    const ms = performance.now() - started;
    if (command.check) command.check(exitCode);
    else if (exitCode !== 0) {
      const tail = readFileSync(stderrPath, "utf8").slice(-2000);
      throw new Error(`${command.name} exited ${exitCode}: ${tail}`);
    }
    return { ms, rssMiB: (proc.resourceUsage()?.maxRSS ?? 0) / 2 ** 20, exitCode };
  } finally {
    closeSync(stdout);
    closeSync(stderr);
    rmSync(stderrPath, { force: true });
  }
}

/**
 * Runs every command `runs` times in rounds (A B C, A B C, ...) after one untimed warm-up
 * round (unless `warmUp` is false), so ratios between them can be taken run by run.
 */
export async function timeCommands(
  commands: readonly Command[],
  runs: number,
  { warmUp = true } = {},
): Promise<CommandSamples[]> {
  const samples = commands.map(() => ({
    ms: [] as number[],
    rssMiB: [] as number[],
    retried: [] as string[],
  }));
  const attempt = async (i: number, c: Command) => {
    for (let failures = 0; ; failures++) {
      try {
        return await runOnce(c);
      } catch (error) {
        if (failures >= (c.retries ?? 0)) throw error;
        samples[i]?.retried.push(
          String(error instanceof Error ? error.message : error).split("\n")[0] as string,
        );
      }
    }
  };
  if (warmUp) for (const [i, c] of commands.entries()) await attempt(i, c);
  for (let r = 0; r < runs; r++) {
    for (const [i, c] of commands.entries()) {
      const { ms, rssMiB } = await attempt(i, c);
      samples[i]?.ms.push(ms);
      samples[i]?.rssMiB.push(rssMiB);
    }
  }
  return samples;
}
