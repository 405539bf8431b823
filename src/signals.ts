/**
 * hm's one signal policy (`docs/design.md`, "Signals"), for every command
 * that handles Ctrl-C itself: `hm run`, plugin verbs, and commands writing
 * files that must not outlive them (interrupt-cleanup.ts). The first Ctrl-C
 * cancels, the second forces, the third exits at once. SIGTERM acts as the
 * first Ctrl-C and makes the exit code 143 instead of 130. Under
 * `bun run hm` one terminal press arrives twice (the process group, then Bun
 * forwarding it), so presses less than 300 ms apart count as one.
 *
 * Nothing here ends the process: a forced or immediate stop becomes an
 * exit request (`exitRequested`) that the CLI layer (main.ts) turns into
 * the exit, so code below it never calls `process.exit`.
 */
import { ExitCode } from "./errors.ts";

/** The exit code of a command a signal stopped. */
type StopCode = typeof ExitCode.cancelled | typeof ExitCode.terminated;

/** "Exit now with this code": asked by a forced or immediate stop, carried out by main.ts. */
interface ExitRequest {
  readonly code: StopCode;
}

// One per process: the process ends on the first request, so there is never a second.
const requests = Promise.withResolvers<ExitRequest>();

/** Settles when a stop asks hm to exit without waiting for the command to return. */
export function exitRequested(): Promise<ExitRequest> {
  return requests.promise;
}

/** What each press means for one command. */
interface StopHandlers {
  /**
   * First Ctrl-C (or SIGTERM): stop starting work and let what runs end; the
   * command returns `code` itself. A command without one forces at once.
   */
  cancel?(): void;
  /** Second Ctrl-C: remove what must not outlive hm; hm exits once this settles. */
  force(): Promise<void> | void;
  /** Third Ctrl-C: the last thing before hm exits, without waiting for a force still running. */
  exitNow?(): void;
}

export interface StopSignals {
  /** A signal asked the command to stop. */
  readonly stopping: boolean;
  /** A SIGTERM came. */
  readonly terminated: boolean;
  /** The exit code of a stopped command: 143 once a SIGTERM came, else 130. */
  readonly code: StopCode;
  dispose(): void;
}

const SAME_PRESS_MS = 300;

export function stopCode(terminated: boolean): StopCode {
  return terminated ? ExitCode.terminated : ExitCode.cancelled;
}

/** Installs `handlers` on SIGINT and SIGTERM until `dispose`. */
export function handleStopSignals(handlers: StopHandlers): StopSignals {
  let presses = 0;
  let lastPress = 0;
  let terminated = false;
  const exit = () => requests.resolve({ code: stopCode(terminated) });
  const levels = [
    ...(handlers.cancel === undefined ? [] : [() => handlers.cancel?.()]),
    () => {
      // A force that fails still ends in the exit it was asked for.
      Promise.resolve()
        .then(() => handlers.force())
        .catch(() => {})
        .finally(exit);
    },
    () => {
      handlers.exitNow?.();
      exit();
    },
  ];
  const escalate = () => {
    const level = levels[Math.min(presses, levels.length - 1)];
    presses++;
    level?.();
  };
  const onInterrupt = () => {
    const now = Date.now();
    if (now - lastPress < SAME_PRESS_MS) return;
    lastPress = now;
    escalate();
  };
  const onTerminate = () => {
    terminated = true;
    if (presses === 0) escalate();
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onTerminate);
  return {
    get stopping() {
      return presses > 0;
    },
    get terminated() {
      return terminated;
    },
    get code() {
      return stopCode(terminated);
    },
    dispose() {
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onTerminate);
    },
  };
}
