/**
 * Records a run as it goes (`docs/design.md`, "Run history"): a consumer of
 * the run's event bus that appends each step's lines to its own file, every
 * event to the events file (a log line there as a short record pointing at
 * its step's file: its text is written once), and the events that are not
 * log lines to the outline. Appends are held in memory and written out every
 * FLUSH_EVERY_MS, past FLUSH_AT characters and at the end of the build, never
 * synced to disk: a killed hm loses at most its last fraction of a second.
 * Each write puts the step files first, so a record never points at a line
 * not yet written. The verdict (`end.json`) is written after everything
 * else, so a reader that sees it has the whole run. A write that fails (disk
 * full) stops the recording, says so once, and never fails the build.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomically } from "../../atomic-file.ts";
import { messageOf } from "../../errors.ts";
import { makePrivateDir } from "../../plugins/paths.ts";
import { procStat } from "../../process-alive.ts";
import type { EventConsumer } from "../event-bus.ts";
import { type HmEvent, toJsonLine } from "../events.ts";
import { AppendFile } from "./append-file.ts";
import { logRecord } from "./event-lines.ts";
import {
  END_FILE,
  EVENTS_FILE,
  OUTLINE_FILE,
  projectHistoryDir,
  RUN_FILE,
  type RunEnd,
  type RunStart,
  STEPS_DIR,
  stepLogName,
} from "./layout.ts";
import type { HistoryLimits } from "./limits.ts";
import { pruneHistory } from "./retention.ts";

const FLUSH_EVERY_MS = 200;
/** Bytes held past which they are written at once: memory stays bounded however fast steps print. */
const FLUSH_AT = 1 << 20;

export interface RunHistory extends EventConsumer {
  readonly runId: string;
  /** The run's directory. */
  readonly dir: string;
  /** Every event so far reached its files: the summary points at the saved log only then. */
  readonly intact: boolean;
  /** Writes out what is held and closes the files; waits for the retention pass started at the beginning. */
  close(): Promise<void>;
}

interface RecordOptions {
  readonly runId: string;
  readonly pipeline: string;
  readonly projectRoot: string;
  readonly limits: HistoryLimits;
  /** A run of a part of the pipeline (`--only`), so that no listing shows it as the whole. */
  readonly only?: RunStart["only"];
  /** Told once when recording stops (cannot create the directory, a write failed). */
  readonly onError: (message: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts recording a run; null when recording is off (`maxRuns` 0) or its directory cannot be made. */
export function recordRun(options: RecordOptions): RunHistory | null {
  if (options.limits.maxRuns <= 0) return null;
  const projectDir = projectHistoryDir(options.projectRoot, options.env);
  const dir = join(projectDir, options.runId);
  try {
    makePrivateDir(projectDir);
    // Made under a temporary name and renamed: every run directory a reader sees has its record.
    const building = join(projectDir, `.${options.runId}.tmp`);
    mkdirSync(join(building, STEPS_DIR), { recursive: true, mode: 0o700 });
    const start: RunStart = {
      run_id: options.runId,
      pipeline: options.pipeline,
      project_root: options.projectRoot,
      started_at: new Date().toISOString(),
      pid: process.pid,
      pid_start: procStat(process.pid)?.startTime ?? null,
      ...(options.only === undefined ? {} : { only: options.only }),
    };
    writeFileSync(join(building, RUN_FILE), `${JSON.stringify(start)}\n`, { mode: 0o600 });
    renameSync(building, dir);
  } catch (error) {
    options.onError(`run history off for this run: ${messageOf(error)}`);
    return null;
  }
  return new Recorder(
    options,
    dir,
    pruneHistory(projectDir, options.limits, options.runId).catch(() => []),
  );
}

class Recorder implements RunHistory {
  readonly name = "run history";
  readonly runId: string;
  private readonly events: AppendFile;
  private readonly outline: AppendFile;
  private readonly steps = new Map<
    string,
    { index: number; key: string; log: AppendFile | null; ended: boolean }
  >();
  /** Steps queued so far: a log record names its step by queue position. */
  private queued = 0;
  /** Characters held over all files. */
  private held = 0;
  private failed = false;
  private closed = false;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly options: RecordOptions,
    readonly dir: string,
    private readonly pruning: Promise<unknown>,
  ) {
    this.runId = options.runId;
    this.events = new AppendFile(join(dir, EVENTS_FILE));
    this.outline = new AppendFile(join(dir, OUTLINE_FILE));
    this.timer = setInterval(() => {
      if (this.held > 0) this.write();
    }, FLUSH_EVERY_MS);
    this.timer.unref();
  }

  get intact(): boolean {
    return !this.failed;
  }

  deliver(event: HmEvent): void | Promise<void> {
    if (this.failed || this.closed) return;
    if (event.kind === "step_log") {
      const step = this.steps.get(event.step_id);
      if (step === undefined) return;
      step.log ??= new AppendFile(join(this.dir, STEPS_DIR, stepLogName(step.key)));
      // The text goes to the step's file only; the events file says whose line it is, on which stream, when.
      const record = logRecord(step.index, event);
      this.held += step.log.append(record.stepLine) + this.events.append(record.eventLine);
    } else {
      const line = `${toJsonLine(event)}\n`;
      this.held += this.events.append(line) + this.outline.append(line);
      if (event.kind === "step_queued")
        this.steps.set(event.step_id, { index: this.queued++, key: event.key, log: null, ended: false });
      else if (
        event.kind === "step_end" ||
        event.kind === "step_skipped" ||
        event.kind === "step_cache_hit"
      ) {
        // Its file is closed by the next write.
        const step = this.steps.get(event.step_id);
        if (step !== undefined) step.ended = true;
      } else if (event.kind === "build_end") return this.finish(event);
    }
    if (this.held >= FLUSH_AT) this.write();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (!this.closed) {
      this.closed = true;
      this.write();
      this.settle(() => {
        this.events.close();
        this.outline.close();
        for (const step of this.steps.values()) step.log?.close();
      });
    }
    await this.pruning;
  }

  private async finish(event: Extract<HmEvent, { kind: "build_end" }>): Promise<void> {
    this.write();
    const end: RunEnd = {
      exit_code: event.exit_code,
      duration_ms: event.duration_ms,
      ended_at: new Date().toISOString(),
    };
    this.settle(() => writeFileAtomically(join(this.dir, END_FILE), `${JSON.stringify(end)}\n`, 0o600));
    if (this.failed) return;
    // This run's size counts now: older runs make room for it.
    await this.pruning;
    await pruneHistory(join(this.dir, ".."), this.options.limits, this.runId).catch(() => []);
  }

  /** Writes out everything held: the step logs, the events, the outline last (a reader that sees a step end there finds all of its lines written). */
  private write(): void {
    this.held = 0;
    this.settle(() => {
      for (const [id, step] of this.steps) {
        if (step.log !== null) step.ended ? step.log.close() : step.log.flush();
        if (step.ended) this.steps.delete(id);
      }
      this.events.flush();
      this.outline.flush();
    });
  }

  private settle(work: () => void): void {
    if (this.failed) return;
    try {
      work();
    } catch (error) {
      this.failed = true;
      this.options.onError(`run history stopped: ${messageOf(error)}`);
    }
  }
}
