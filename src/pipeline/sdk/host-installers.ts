/**
 * Which steps the toolchain helpers made to install software system-wide:
 * apt packages, runtimes into /usr/local, rustup and cargo tools into $HOME.
 * In a container that is the point; on the host (the shell runner) it changes
 * the user's machine, so `hm run` asks first (src/run/shell-host.ts).
 *
 * The IR must stay the reference SDK's, so the mark travels beside it: the
 * helpers mark the Step objects they create, and lowering records the key and
 * command of each marked step it emits. A step of a rendered pipeline was
 * made to install when its key and command are recorded; `.ir.json` files
 * never are. Pipeline files are evaluated in a separate process, which hands
 * its records to hm with the IR (`lowerings()` there, `adoptLowerings()` here).
 */
import type { Step } from "./step.ts";

const marked = new WeakSet<Step>();
const lowered = new Map<string, Set<string>>();

/** Marks `step` as one that installs software system-wide; returns it. */
export function installsSoftware(step: Step): Step {
  marked.add(step);
  return step;
}

/** Called by lowering for every command step it emits, with the step's key. */
export function recordLowered(step: Step, key: string): void {
  if (!marked.has(step) || step._cmd === null) return;
  const commands = lowered.get(key) ?? new Set<string>();
  commands.add(step._cmd);
  lowered.set(key, commands);
}

/** Whether a rendered step with this key and command was made by a toolchain helper to install software. */
export function madeToInstall(key: string, cmd: string): boolean {
  return lowered.get(key)?.has(cmd) ?? false;
}

/** Every recorded [key, command] pair, to carry out of the evaluation process. */
export function lowerings(): [string, string][] {
  return [...lowered].flatMap(([key, commands]) => [...commands].map((cmd): [string, string] => [key, cmd]));
}

/** Records pairs `lowerings()` returned in the evaluation process. */
export function adoptLowerings(pairs: readonly (readonly [string, string])[]): void {
  for (const [key, cmd] of pairs) {
    const commands = lowered.get(key) ?? new Set<string>();
    commands.add(cmd);
    lowered.set(key, commands);
  }
}
