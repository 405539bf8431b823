/** Whole commands timed from outside: wall time from spawn to exit, and the child's peak RSS. */
import { closeSync, openSync } from "node:fs";

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
}

export interface CommandSamples {
  /** Wall milliseconds, one per run. */
  readonly ms: number[];
  /** Peak RSS in MiB of the process itself (not its children), one per run. */
  readonly rssMiB: number[];
}

export async function runOnce(command: Command): Promise<{ ms: number; rssMiB: number; exitCode: number }> {
  await command.before?.();
  const stdout = openSync(command.stdout ?? "/dev/null", "w");
  try {
    const started = performance.now();
    const proc = Bun.spawn([...command.argv], {
      cwd: command.cwd,
      env: command.env ?? (process.env as Record<string, string>),
      stdin: "ignore",
      stdout,
      stderr: "pipe",
    });
    const [stderr, exitCode] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    const ms = performance.now() - started;
    if (command.check) command.check(exitCode);
    else if (exitCode !== 0) throw new Error(`${command.name} exited ${exitCode}: ${stderr.slice(-2000)}`);
    return { ms, rssMiB: (proc.resourceUsage()?.maxRSS ?? 0) / 2 ** 20, exitCode };
  } finally {
    closeSync(stdout);
  }
}

/**
 * Runs every command `runs` times in rounds (A B C, A B C, ...) after one untimed warm-up
 * round, so ratios between them can be taken run by run.
 */
export async function timeCommands(commands: readonly Command[], runs: number): Promise<CommandSamples[]> {
  for (const c of commands) await runOnce(c);
  const samples = commands.map(() => ({ ms: [] as number[], rssMiB: [] as number[] }));
  for (let r = 0; r < runs; r++) {
    for (const [i, c] of commands.entries()) {
      const { ms, rssMiB } = await runOnce(c);
      samples[i]?.ms.push(ms);
      samples[i]?.rssMiB.push(rssMiB);
    }
  }
  return samples;
}
