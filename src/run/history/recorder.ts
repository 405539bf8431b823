/**
 * Records a run as it goes (`docs/design.md`, "Run history"): a consumer of
 * the run's event bus that appends every event to `events.jsonl`, the ones
 * that are not log lines to `outline.jsonl`, and each step's lines to its own
 * file. Appends are held in memory and written out every FLUSH_EVERY_MS, past
 * FLUSH_AT characters and at the end of the build, never
 * synced to disk: a killed hm loses at most its last fraction of a second, and
 * the log path costs a string push per line. The verdict (`end.json`) is
 * written after everything else, so a reader that sees it has the whole run.
 * A write that fails (disk full) stops the recording, says so once, and never
 * fails the build.
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
/** Held characters past which a write starts at once. */
const FLUSH_AT = 1 << 16;
/** Held characters past which the bus waits for the write (back-pressure: memory stays bounded). */
const HOLD_AT_MOST = 1 << 22;

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
  private readonly steps = new Map<string, { key: string; log: AppendFile | null; ended: boolean }>();
  /** Characters held over all files. */
  private held = 0;
  private writing: Promise<void> | null = null;
  private failed = false;
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
      if (this.held > 0 && this.writing === null) void this.write();
    }, FLUSH_EVERY_MS);
    this.timer.unref();
  }

  get intact(): boolean {
    return !this.failed;
  }

  deliver(event: HmEvent): void | Promise<void> {
    if (this.failed) return;
    const line = `${toJsonLine(event)}\n`;
    this.events.append(line);
    this.held += line.length;
    if (event.kind === "step_log") {
      const step = this.steps.get(event.step_id);
      if (step !== undefined) {
        step.log ??= new AppendFile(join(this.dir, STEPS_DIR, stepLogName(step.key)));
        step.log.append(`${event.line}\n`);
        this.held += event.line.length + 1;
      }
    } else {
      this.outline.append(line);
      this.held += line.length;
      if (event.kind === "step_queued")
        this.steps.set(event.step_id, { key: event.key, log: null, ended: false });
      else if (
        event.kind === "step_end" ||
        event.kind === "step_skipped" ||
        event.kind === "step_cache_hit"
      ) {
        const step = this.steps.get(event.step_id);
        // Its file is closed by the next write pass.
        if (step !== undefined) step.ended = true;
      } else if (event.kind === "build_end") return this.finish(event);
    }
    if (this.held >= HOLD_AT_MOST) return this.write();
    if (this.held >= FLUSH_AT && this.writing === null) void this.write();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.write();
    await this.settle(async () => {
      await Promise.all([this.events.close(), this.outline.close()]);
      for (const step of this.steps.values()) await step.log?.close();
    });
    await this.pruning;
  }

  private async finish(event: Extract<HmEvent, { kind: "build_end" }>): Promise<void> {
    await this.write();
    if (this.failed) return;
    const end: RunEnd = {
      exit_code: event.exit_code,
      duration_ms: event.duration_ms,
      ended_at: new Date().toISOString(),
    };
    await this.settle(async () =>
      writeFileAtomically(join(this.dir, END_FILE), `${JSON.stringify(end)}\n`, 0o600),
    );
    // This run's size counts now: older runs make room for it.
    await this.pruning;
    await pruneHistory(join(this.dir, ".."), this.options.limits, this.runId).catch(() => []);
  }

  /** Writes out everything held; one write pass at a time, chained. */
  private write(): Promise<void> {
    const previous = this.writing ?? Promise.resolve();
    const pass = previous.then(() =>
      this.settle(async () => {
        this.held = 0;
        // The outline last: a reader that sees a step end there finds all of the step's lines written.
        for (const [id, step] of this.steps) {
          // Read before the await: lines that arrive meanwhile belong to the next pass unless the step had ended.
          const ended = step.ended;
          if (step.log !== null) await (ended ? step.log.close() : step.log.flush());
          if (ended) this.steps.delete(id);
        }
        await this.events.flush();
        await this.outline.flush();
      }),
    );
    this.writing = pass;
    void pass.then(() => {
      if (this.writing === pass) this.writing = null;
    });
    return pass;
  }

  private async settle(work: () => Promise<void>): Promise<void> {
    if (this.failed) return;
    try {
      await work();
    } catch (error) {
      this.failed = true;
      this.options.onError(`run history stopped: ${messageOf(error)}`);
    }
  }
}
