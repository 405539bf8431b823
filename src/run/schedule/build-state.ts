/**
 * The build's own state. It runs until something stops it, then stops for
 * one reason, which decides how the steps not started are skipped and, with
 * the steps' outcomes, the exit code:
 *
 *   running ── a step failed, no keep-going ──▶ failure
 *   running ── the pipeline's timeout ────────▶ pipeline_timeout
 *   running, failure ── a hook aborted ───────▶ aborted
 *   any ── the user's cancel ─────────────────▶ user
 *
 * Every stop asks each running step to stop. The build also holds the
 * running steps' slots (how to stop each) and the plugin errors to report.
 */
import { ExitCode } from "../../errors.ts";
import type { SkipReason } from "../events.ts";
import type { StepStates } from "./step-states.ts";

export type StopReason = "failure" | "pipeline_timeout" | "aborted" | "user";

export class BuildState {
  private reason: StopReason | null = null;
  private abortMessage: string | null = null;
  /** Running steps, those being prepared included: how to stop each. */
  private readonly slots = new Map<number, () => void>();
  /** Plugin failures, named by plugin and method, to print after the build. */
  readonly errors: string[] = [];

  /** Why the build stopped, or null while it runs. */
  get stopping(): StopReason | null {
    return this.reason;
  }

  /** Why a `before` hook aborted the build, or null. */
  get aborted(): string | null {
    return this.abortMessage;
  }

  /** How many slots running steps hold. */
  get running(): number {
    return this.slots.size;
  }

  /** The step holds a slot until `release`; `stop` asks it to end. */
  occupy(step: number, stop: () => void): void {
    this.slots.set(step, stop);
  }

  release(step: number): void {
    this.slots.delete(step);
  }

  /** A step failed (without keep-going), the pipeline timed out, or a hook aborted. */
  stop(why: Exclude<StopReason, "user">): void {
    if (this.reason === null || (why === "aborted" && this.reason === "failure")) this.reason = why;
    this.stopRunning();
  }

  /** The user's cancel (Ctrl-C, SIGTERM): it overrides any other reason. */
  cancel(): void {
    this.reason = "user";
    this.stopRunning();
  }

  /** A `before` hook's message aborts the build; the first message is the one reported. */
  abort(message: string): void {
    this.abortMessage ??= message;
    this.stop("aborted");
  }

  /** Why steps not started are skipped now. */
  skipReason(): SkipReason {
    return this.reason === "failure" ? "dependency failed" : "cancelled";
  }

  /**
   * The first rule that applies: cancelled by the user 130, aborted by a hook
   * 1, a plugin error 6, the pipeline timed out 124, a step failed 1, a step
   * timed out 124, else 0.
   */
  exitCode(steps: StepStates): ExitCode {
    if (this.reason === "user") return ExitCode.cancelled;
    if (this.reason === "aborted") return ExitCode.buildFailed;
    if (this.errors.length > 0) return ExitCode.pluginRuntime;
    if (this.reason === "pipeline_timeout") return ExitCode.timedOut;
    if (steps.any("failed")) return ExitCode.buildFailed;
    if (steps.any("timed_out")) return ExitCode.timedOut;
    return ExitCode.ok;
  }

  private stopRunning(): void {
    for (const stop of this.slots.values()) stop();
  }
}
