/**
 * hm's build events: the protocol-2 BuildEvent kinds plus HEAD's extras
 * (`step_queued.parent_key`, `display_name`) and `step_skipped`, which exist
 * only here and in `--format json` (`docs/design.md`, "Events and their order"). Hook plugins receive
 * the protocol-2 form (`toProtocolEvent`); skipped steps are not sent to them.
 * Times are milliseconds since the epoch; durations are milliseconds.
 */
import type { BuildEvent, StdStream } from "../protocol/index.ts";
import type { BuildSource } from "./build-source.ts";

export type SkipReason = "dependency failed" | "cancelled";

/**
 * `hm run --only`: the names asked for, the keys of the steps they matched,
 * and how many steps the whole pipeline has. On `build_start` and
 * `build_end` of a run of part of a pipeline, so a reader of either knows
 * that the other steps did not run (`docs/design.md`, "A part of the pipeline").
 */
export interface Selection {
  readonly only: readonly string[];
  readonly matched: readonly string[];
  readonly pipeline_step_count: number;
}

export type HmEvent =
  | {
      kind: "build_start";
      run_id: string;
      plan: { step_count: number; chain_count: number; default_runner: string };
      started_at: number;
      /** Only on a run of part of the pipeline. */
      selection?: Selection;
      /** hm's: the branch, commit and message (`hm run -b/-m`); not sent to hooks. */
      source?: BuildSource;
    }
  | {
      kind: "step_queued";
      step_id: string;
      key: string;
      chain_idx: number;
      parent_key: string | null;
      display_name: string;
    }
  | { kind: "step_start"; step_id: string; runner: string; image: string | null }
  | { kind: "step_log"; step_id: string; stream: StdStream; line: string; ts: number }
  | { kind: "step_cache_hit"; step_id: string; key: string; tag: string }
  | { kind: "step_end"; step_id: string; exit_code: number; duration_ms: number; snapshot: string | null }
  | {
      kind: "chain_failed";
      chain_idx: number;
      failed_step_id: string;
      failed_step_key: string;
      exit_code: number;
      message: string;
      ts: number;
    }
  | { kind: "step_skipped"; step_id: string; key: string; reason: SkipReason }
  | { kind: "build_end"; exit_code: number; duration_ms: number; selection?: Selection };

export type HmEventKind = HmEvent["kind"];

/** The event as a hook plugin receives it, or null for hm-only events. */
export function toProtocolEvent(event: HmEvent): BuildEvent | null {
  switch (event.kind) {
    case "build_start":
      return {
        kind: event.kind,
        run_id: event.run_id,
        started_at: event.started_at,
        plan: {
          step_count: BigInt(event.plan.step_count),
          chain_count: BigInt(event.plan.chain_count),
          default_runner: event.plan.default_runner,
        },
      };
    case "step_queued":
      return {
        kind: "step_queued",
        step_id: event.step_id,
        key: event.key,
        chain_idx: BigInt(event.chain_idx),
      };
    case "step_end":
      return { ...event, duration_ms: BigInt(event.duration_ms) };
    case "chain_failed":
      return { ...event, chain_idx: BigInt(event.chain_idx) };
    case "build_end":
      return { kind: "build_end", exit_code: event.exit_code, duration_ms: BigInt(event.duration_ms) };
    case "step_skipped":
      return null;
    default:
      return event;
  }
}

/** One JSON line (`--format json`): timestamps as RFC 3339 UTC, as the reference prints them. */
export function toJsonLine(event: HmEvent): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  switch (event.kind) {
    case "build_start":
      return JSON.stringify({ ...event, started_at: iso(event.started_at) });
    case "step_log":
      // The line every step prints goes through here (to stdout and to the run history): written out
      // by hand, the same bytes as JSON.stringify of the event, a third of the time (bench/log-throughput.ts).
      return `{"kind":"step_log","step_id":${JSON.stringify(event.step_id)},"stream":"${event.stream}","line":${JSON.stringify(event.line)},"ts":"${logTime(event.ts)}"}`;
    case "chain_failed":
      return JSON.stringify({ ...event, ts: iso(event.ts) });
    default:
      return JSON.stringify(event);
  }
}

/** Lines of one batch share their millisecond: its ISO text is made once. */
let lastLogMs = Number.NaN;
let lastLogIso = "";
function logTime(ms: number): string {
  if (ms !== lastLogMs) {
    lastLogMs = ms;
    lastLogIso = new Date(ms).toISOString();
  }
  return lastLogIso;
}

/** Label, else the trimmed command, cut to 39 characters + "…" past 40 (`docs/design.md`, "Events and their order"). */
export function displayName(label: string | undefined, cmd: string): string {
  if (label !== undefined && label !== "") return label;
  const trimmed = cmd.trim();
  const chars = [...trimmed];
  return chars.length <= 40 ? trimmed : `${chars.slice(0, 39).join("")}…`;
}
