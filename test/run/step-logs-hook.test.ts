/**
 * Protocol 3's `step_logs` hook kind, through `hm run` with the shell runner and hook plugins
 * compiled from C: a hook taking `step_logs` gets many lines per call, every line once, in order,
 * with its step and stream, before its step's `step_end`; a protocol-2 hook taking `step_log`
 * still gets one call per line.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { compilePlugin } from "../helpers/native.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-step-logs-");
afterAll(() => scratch.cleanup());

const LINES = 3000;

/**
 * A hook plugin appending what it sees to `out`: `L <step id's first byte> <stream> <line>` per
 * line, `E <step id's first byte>` per step_end, `C <lines>` per call.
 */
function recordingHook(dir: string, name: string, kinds: string[], out: string): void {
  compilePlugin(
    dir,
    name,
    `#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
#include <stdio.h>
static void line(FILE *f, const uint8_t *id, int stream, hm_str text) {
  fprintf(f, "L %02x %d " HM_STR_FMT "\\n", id[0], stream, HM_STR_ARG(text));
}
static int on_event(hm_ctx *ctx, const hm_hook_event *in, hm_hook_outcome *out) {
  FILE *f = fopen(${JSON.stringify(out)}, "a");
  (void)out;
  if (!f) return hm_fail(ctx, "io", "cannot open the record file");
  if (in->event.kind == HM_EVENT_STEP_LOGS) {
    hm_iter it = hm_step_logs_iter(in->event.as.step_logs.lines);
    hm_step_log_line l;
    fprintf(f, "C %u\\n", in->event.as.step_logs.lines.count);
    while (hm_step_logs_next(&it, &l)) line(f, l.step_id, l.stream, l.line);
  } else if (in->event.kind == HM_EVENT_STEP_LOG) {
    fprintf(f, "C 1\\n");
    line(f, in->event.as.step_log.step_id, (int)in->event.as.step_log.stream, in->event.as.step_log.line);
  } else if (in->event.kind == HM_EVENT_STEP_END) {
    fprintf(f, "E %02x\\n", in->event.as.step_end.step_id[0]);
  }
  fclose(f);
  return 1;
}
static const hm_hook_kind kinds[] = {${kinds.join(", ")}};
static const hm_capability caps[] = {{.kind = HM_CAP_LIFECYCLE_HOOK, .as.lifecycle_hook = {
  .events = kinds, .event_count = ${kinds.length}, .phase = HM_HOOK_AFTER, .timeout_ms = 10000}}};
static const hm_manifest manifest = {.name = "${name}", .version = "0.1.0", .description = "records lines",
  .capabilities = caps, .capability_count = 1};
static const hm_plugin_def plugin = {.manifest = &manifest, .on_hook_event = on_event};
HM_PLUGIN(plugin);
`,
  );
}

interface Record {
  calls: number[];
  /** Per step (first byte of its id): its lines as "<stream> <text>", and whether step_end came after them. */
  steps: Map<string, { lines: string[]; endedAfterLines: boolean | null }>;
}

function readRecord(path: string): Record {
  const record: Record = { calls: [], steps: new Map() };
  for (const row of readFileSync(path, "utf8").split("\n")) {
    const [tag, id = "", ...rest] = row.split(" ");
    if (tag === "C") record.calls.push(Number(id));
    if (tag !== "L" && tag !== "E") continue;
    const step = record.steps.get(id) ?? { lines: [], endedAfterLines: null };
    record.steps.set(id, step);
    if (tag === "L") {
      if (step.endedAfterLines !== null) step.endedAfterLines = false; // a line after step_end
      step.lines.push(rest.join(" "));
    } else step.endedAfterLines ??= true;
  }
  return record;
}

test("a step_logs hook gets every line once, in order, many per call; a step_log hook still gets one per call", async () => {
  const plugins = join(scratch.path, "plugins");
  const batched = join(scratch.path, "batched.txt");
  const single = join(scratch.path, "single.txt");
  recordingHook(plugins, "batched-hook", ["HM_HOOK_STEP_LOGS", "HM_HOOK_STEP_END"], batched);
  recordingHook(plugins, "single-hook", ["HM_HOOK_STEP_LOG", "HM_HOOK_STEP_END"], single);
  // Two steps at once, so one batch may mix their lines; one step also writes to stderr.
  const project = makeProject({
    ".hm/ci.ir.json": irJson([
      { key: "a", cmd: `seq -f 'a%g' ${LINES}; echo oops >&2` },
      { key: "b", cmd: `seq -f 'b%g' ${LINES}` },
    ]),
  });
  try {
    const { state, tmp } = runDirs(scratch.path);
    const r = await runHm(["run", "--runner", "shell", "--format", "json", "--parallelism", "2"], {
      cwd: project.root,
      env: { HM_STATE_DIR: state, TMPDIR: tmp, HM_PLUGIN_PATH: plugins },
    });
    expect(r.stderr).not.toContain("hook '");
    expect(r.exitCode).toBe(0);

    const expected = (prefix: string) => Array.from({ length: LINES }, (_, i) => `0 ${prefix}${i + 1}`);
    for (const path of [batched, single]) {
      const record = readRecord(path);
      const steps = [...record.steps.values()].sort((x, y) =>
        (x.lines[0] ?? "").localeCompare(y.lines[0] ?? ""),
      );
      expect(steps.length).toBe(2);
      expect(steps[0]?.lines).toEqual([...expected("a"), "1 oops"]);
      expect(steps[1]?.lines).toEqual(expected("b"));
      expect(steps.map((s) => s.endedAfterLines)).toEqual([true, true]);
      expect(record.calls.reduce((a, b) => a + b, 0)).toBe(2 * LINES + 1);
    }
    // The protocol-2 hook: one call per line. The step_logs hook: lines waiting in its queue go
    // together (the shell runner hands hm up to 512 lines at a time), so far fewer calls.
    expect(readRecord(single).calls.every((n) => n === 1)).toBe(true);
    const calls = readRecord(batched).calls;
    expect(calls.length).toBeLessThan((2 * LINES + 1) / 10);
    expect(Math.max(...calls)).toBeGreaterThan(100);
  } finally {
    project.cleanup();
  }
}, 60_000);
