/**
 * Ctrl-C and SIGTERM during `hm run` (`docs/design.md`, "Signals"). First Ctrl-C:
 * cancel (running steps end 130, cleanup runs). Second: force (stop waiting,
 * remove this run's files, exit 130 within 5 s). Third: exit at once; the
 * next run or `hm gc` reaps the rest. Under `bun run hm` one terminal press
 * arrives twice (the process group, then Bun forwarding it), so presses less
 * than 300 ms apart count as one. SIGTERM acts like the first Ctrl-C and
 * makes the exit code 143.
 */
export interface SignalHandlers {
  cancel(): void;
  force(): void;
  /** Third press: leave now. */
  exitNow(): void;
}

export interface RunSignals {
  /** SIGTERM was received: the run exits 143. */
  readonly terminated: boolean;
  dispose(): void;
}

const SAME_PRESS_MS = 300;

export function handleRunSignals(handlers: SignalHandlers): RunSignals {
  let presses = 0;
  let lastPress = 0;
  let terminated = false;
  const escalate = () => {
    presses++;
    if (presses === 1) handlers.cancel();
    else if (presses === 2) handlers.force();
    else handlers.exitNow();
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
    get terminated() {
      return terminated;
    },
    dispose() {
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onTerminate);
    },
  };
}
