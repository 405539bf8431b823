/**
 * The first-party `shell` plugin, built from plugins/shell/, run for real
 * through the worker pool and the scheduler: workspace extraction, builds_in
 * children (an only child at its parent's path, siblings in copies), environment, log streaming, exit codes, cancel and timeout (no
 * process left behind), and the build_end hook that removes the run directory.
 *
 * The plugin reads TMPDIR from the process's C environment, which Bun's
 * `process.env` cannot change after start, so run directories land in this
 * process's real temporary directory; every test removes its own.
 */
import { Database } from "bun:sqlite";
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../../src/log.ts";
import { checkGraph } from "../../src/pipeline/graph.ts";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { callPlugin } from "../../src/plugins/plugin-call.ts";
import { openPlugin } from "../../src/plugins/registry.ts";
import { WorkerPool } from "../../src/plugins/worker-pool.ts";
import { BUILDS_IN_CHILDREN_KEY, decodeBuildsInChildren } from "../../src/protocol/host-kv.ts";
import { decodeHookOutcome, encodeHookEvent, type HookEvent } from "../../src/protocol/index.ts";
import type { GraphIR } from "../../src/protocol/ir.ts";
import type { HmEvent } from "../../src/run/events.ts";
import { pluginExecutor } from "../../src/run/plugin-executor.ts";
import { schedule } from "../../src/run/scheduler.ts";
import { REPO_ROOT, tempDir } from "../helpers/hm.ts";

const opened = openPlugin(join(REPO_ROOT, "build", "plugins", `shell.${LIBRARY_EXTENSION}`), "user");
if (!("entry" in opened)) throw new Error(opened.broken.reason);
const shell = opened.entry;

/** Where the plugin puts run directories: realpath(${TMPDIR:-/tmp}), as the C side resolves it. */
const TMP = realpathSync(process.env.TMPDIR || "/tmp");
const runDirOf = (runId: string) => join(TMP, `hm-shell-${runId}`);
/** The step directories in a run directory (not the record of its process groups). */
/** The steps' directories (not the process-group record, nor a sibling overlay's hidden layers `.up-*`, `.wk-*`). */
const stepDirs = (runDir: string) => readdirSync(runDir).filter((name) => !name.startsWith("."));

const scratch = tempDir("hm-test-shell-plugin-");
const kvPath = join(scratch.path, "kv.sqlite");
const runIds: string[] = [];
let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
  for (const id of runIds.splice(0)) rmSync(runDirOf(id), { recursive: true, force: true });
});
// Until it is gone: a plugin worker still shutting down may delete its KV database's WAL files
// meanwhile, and one recursive pass then leaves entries behind without an error.
afterAll(async () => {
  for (let attempt = 0; attempt < 20 && existsSync(scratch.path); attempt++) {
    if (attempt > 0) await Bun.sleep(50);
    rmSync(scratch.path, { recursive: true, force: true });
  }
});

const LONG_NAME = `${"a-very-long-file-name-".repeat(6)}end.txt`; // > 100 bytes: needs a pax header

/** A POSIX tar of a small tree: a nested file, a name over 100 bytes, a symlink. */
function makeArchive(): string {
  const src = join(scratch.path, "tree");
  mkdirSync(join(src, "nested", "deep"), { recursive: true });
  writeFileSync(join(src, "nested", "deep", "file.txt"), "deep\n");
  writeFileSync(join(src, "nested", LONG_NAME), "long\n");
  symlinkSync("nested/deep/file.txt", join(src, "link"));
  const tar = join(scratch.path, "workspace.tar");
  const posix = Bun.spawnSync(["tar", "--format=posix", "-cf", tar, "-C", src, "."]);
  if (posix.exitCode !== 0 && Bun.spawnSync(["tar", "-cf", tar, "-C", src, "."]).exitCode !== 0) {
    throw new Error(`tar failed: ${posix.stderr.toString()}`);
  }
  return tar;
}
const ARCHIVE = makeArchive();

type Step = { key: string; cmd: string; env?: Record<string, string>; timeout?: number };

function graph(steps: Step[], buildsIn: [string, string][] = []): GraphIR {
  const index = new Map(steps.map((s, i) => [s.key, i]));
  return checkGraph({
    version: "0",
    graph: {
      nodes: steps.map((s) => ({
        step: {
          key: s.key,
          cmd: s.cmd,
          runner: "shell",
          ...(s.timeout !== undefined ? { timeout_seconds: s.timeout } : {}),
        },
        env: s.env ?? {},
      })),
      node_holes: [],
      edge_property: "directed",
      edges: buildsIn.map(([a, b]) => [index.get(a) as number, index.get(b) as number, "builds_in"]),
    },
  });
}

interface RunOptions {
  archive?: string | null;
  /** Call the executor as a host that gives no StepHints would (no hm.builds_in_children entry). */
  withoutHints?: boolean;
  runId?: string;
  signal?: AbortSignal;
  onEvent?: (event: HmEvent) => void;
}

async function run(ir: GraphIR, options: RunOptions = {}) {
  const runId = options.runId ?? crypto.randomUUID();
  if (!runIds.includes(runId)) runIds.push(runId);
  const archiveId = crypto.randomUUID();
  const archive = options.archive === undefined ? ARCHIVE : options.archive;
  pool ??= new WorkerPool(4);
  const executor = pluginExecutor(shell, "shell", {
    pool,
    kvPath,
    configDir: null,
    archives: archive === null ? {} : { [archiveId]: archive },
    log: silentLogger(),
  });
  const events: HmEvent[] = [];
  const result = await schedule({
    graph: ir,
    runId,
    archiveId,
    parallelism: 4,
    keepGoing: true,
    defaultRunner: "shell",
    executors: ir.graph.nodes.map(() =>
      options.withoutHints
        ? { name: executor.name, execute: (i, onLog) => executor.execute(i, onLog) }
        : executor,
    ),
    extraEnv: {},
    emit: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
    stopGraceMs: 10_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const keyOf = new Map(
    events.flatMap((e) => (e.kind === "step_queued" ? [[e.step_id, e.key] as const] : [])),
  );
  const ofStep = (key: string) => events.filter((e) => "step_id" in e && keyOf.get(e.step_id) === key);
  /** A step's log lines of one stream, in order. */
  const lines = (key: string, stream: "stdout" | "stderr" = "stdout") =>
    ofStep(key).flatMap((e) => (e.kind === "step_log" && e.stream === stream ? [e.line] : []));
  const end = (key: string) => ofStep(key).find((e) => e.kind === "step_end");
  return { ...result, runId, runDir: runDirOf(runId), events, lines, end };
}

/** Alive and not a zombie (a killed child of an exited shell may wait a moment for its reaper). */
function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8"); // read directly: minimal images have no ps
  } catch {
    return false;
  }
  // "pid (comm) S …": the state follows the last ')', as comm may hold one.
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

async function waitUntilGone(pids: number[]): Promise<number[]> {
  const deadline = Date.now() + 3000;
  let alive = pids.filter(isRunning);
  while (alive.length > 0 && Date.now() < deadline) {
    await Bun.sleep(50);
    alive = alive.filter(isRunning);
  }
  return alive;
}

const readPids = (dir: string, ...files: string[]) =>
  files.map((f) => Number.parseInt(readFileSync(join(dir, f), "utf8"), 10));

describe("shell plugin", () => {
  test("declares runner 'shell' (not default) and an after hook on build_start and build_end", () => {
    expect(shell.name).toBe("shell");
    expect(shell.manifest.version).toBe("0.1.0");
    expect(shell.manifest.capabilities).toEqual([
      { kind: "step_executor", runner: "shell", default: false, step_schema: null },
      { kind: "lifecycle_hook", events: ["build_start", "build_end"], phase: "after", timeout_ms: 120000 },
    ]);
  });

  test("a root step runs in its own directory holding the archive, with the host's and the step's env", async () => {
    const r = await run(
      graph([
        {
          key: "probe",
          env: { GREETING: "hello world" },
          cmd: [
            'echo "ws=$HM_WORKSPACE"',
            'echo "pwd=$(pwd -P)"',
            "cat nested/deep/file.txt",
            `cat nested/${LONG_NAME}`,
            '[ -L link ] && echo "link=$(readlink link)" && cat link',
            'echo "greeting=$GREETING"',
            'echo "path=$PATH"',
            "ls nested/deep",
          ].join("\n"),
        },
      ]),
    );
    const stepDir = join(r.runDir, "probe");
    expect(r.exitCode).toBe(0);
    expect(r.lines("probe")).toEqual([
      `ws=${stepDir}`,
      `pwd=${stepDir}`,
      "deep",
      "long",
      "link=nested/deep/file.txt",
      "deep",
      "greeting=hello world",
      `path=${process.env.PATH}`,
      "file.txt",
    ]);
    expect(lstatSync(join(stepDir, "link")).isSymbolicLink()).toBe(true);
    expect(r.end("probe")).toMatchObject({ exit_code: 0, snapshot: `shell:${r.runId}/probe` });
  });

  test("an archive id the host does not know starts the step in an empty directory", async () => {
    const r = await run(graph([{ key: "empty", cmd: 'ls -A | wc -l | tr -d " "' }]), { archive: null });
    expect(r.lines("empty")).toEqual(["0"]);
  });

  test("an archive tar cannot read fails the step with a plugin error naming the directory", async () => {
    const garbage = join(scratch.path, "garbage.tar");
    writeFileSync(garbage, "this is not a tar archive\n".repeat(100));
    const r = await run(graph([{ key: "bad", cmd: "true" }]), { archive: garbage });
    expect(r.exitCode).toBe(6);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(`extracting the workspace archive into '${join(r.runDir, "bad")}'`);
    expect(r.errors[0]).toContain("tar exited with code");
  });

  test("a tar that stops reading at the end-of-archive marker is not an error (the host survives EPIPE)", async () => {
    const padded = join(scratch.path, "padded.tar");
    writeFileSync(padded, Buffer.concat([Buffer.alloc(10240), Buffer.alloc(4 << 20, 0x41)]));
    const r = await run(graph([{ key: "padded", cmd: 'ls -A | wc -l | tr -d " "' }]), { archive: padded });
    expect(r.exitCode).toBe(0);
    expect(r.lines("padded")).toEqual(["0"]);
  });

  test("siblings each start from a copy of their parent at their own path; they never see each other", async () => {
    const sibling = (name: string) => ({
      key: name,
      cmd: `pwd -P; cat from-parent; echo ${name} > mine-${name}; sleep 0.3; ls | tr '\\n' ' '`,
    });
    const r = await run(
      graph(
        [
          { key: "parent", cmd: "echo hi from parent > from-parent" },
          sibling("left"),
          sibling("right"),
          { key: "grandchild", cmd: "cat mine-left; ls | tr '\\n' ' '" },
        ],
        [
          ["parent", "left"],
          ["parent", "right"],
          ["left", "grandchild"],
        ],
      ),
    );
    expect(r.exitCode).toBe(0);
    expect(r.lines("left")).toEqual([
      join(r.runDir, "left"),
      "hi from parent",
      "from-parent link mine-left nested ",
    ]);
    expect(r.lines("right")).toEqual([
      join(r.runDir, "right"),
      "hi from parent",
      "from-parent link mine-right nested ",
    ]);
    // left's only child takes left's directory over.
    expect(r.lines("grandchild")).toEqual(["left", "from-parent link mine-left nested "]);
    expect(r.end("grandchild")?.snapshot).toBe(`shell:${r.runId}/left`);
    // The parent's directory stays as the parent left it, for either sibling's absolute paths.
    expect(readdirSync(join(r.runDir, "parent")).sort()).toEqual(["from-parent", "link", "nested"]);
    expect(stepDirs(r.runDir).sort()).toEqual(["left", "parent", "right"]);
  });

  test("a chain of builds_in children runs in one directory, at the first step's path, with no copy", async () => {
    const r = await run(
      graph(
        [
          { key: "one", cmd: 'pwd -P; echo "$HM_WORKSPACE"; echo 1 > trail' },
          { key: "two", cmd: "pwd -P; cat trail; echo 2 >> trail" },
          { key: "three", cmd: "pwd -P; cat trail; ls | tr '\\n' ' '" },
        ],
        [
          ["one", "two"],
          ["two", "three"],
        ],
      ),
    );
    const path = join(r.runDir, "one");
    expect(r.exitCode).toBe(0);
    expect(r.lines("one")).toEqual([path, path]);
    expect(r.lines("two")).toEqual([path, "1"]);
    expect(r.lines("three")).toEqual([path, "1", "2", "link nested trail "]);
    for (const key of ["one", "two", "three"]) expect(r.end(key)?.snapshot).toBe(`shell:${r.runId}/one`);
    expect(stepDirs(r.runDir)).toEqual(["one"]); // no copy was made
  });

  test("hm tells each step the keys of its builds_in children (step-scope KV hm.builds_in_children)", async () => {
    const r = await run(
      graph(
        [
          { key: "root", cmd: "true" },
          { key: "b", cmd: "true" },
          { key: "a", cmd: "true" },
          { key: "leaf", cmd: "true" },
        ],
        [
          ["root", "b"],
          ["root", "a"],
          ["a", "leaf"],
        ],
      ),
      { archive: null },
    );
    expect(r.exitCode).toBe(0);
    const db = new Database(kvPath, { readonly: true });
    const entry = (key: string) => {
      const stepId = r.events.flatMap((e) =>
        e.kind === "step_queued" && e.key === key ? [e.step_id] : [],
      )[0];
      const row = db
        .query<{ value: Uint8Array }, [string, string]>(
          "SELECT value FROM kv WHERE scope = 'step' AND owner = ? AND key = CAST(? AS BLOB)",
        )
        .get(stepId ?? "", BUILDS_IN_CHILDREN_KEY);
      return row === null ? null : decodeBuildsInChildren(row.value);
    };
    try {
      expect(entry("root")).toEqual(["b", "a"]); // pipeline order
      expect(entry("a")).toEqual(["leaf"]);
      expect(entry("b")).toEqual([]);
      expect(entry("leaf")).toEqual([]);
    } finally {
      db.close();
    }
  });

  test("without hm's list of children, an only child still gets a copy (the safe default)", async () => {
    const r = await run(
      graph(
        [
          { key: "parent", cmd: "pwd -P; echo from-parent > f" },
          { key: "child", cmd: "pwd -P; cat f; echo child > f" },
        ],
        [["parent", "child"]],
      ),
      { archive: null, withoutHints: true },
    );
    expect(r.exitCode).toBe(0);
    expect(r.lines("parent")).toEqual([join(r.runDir, "parent")]);
    expect(r.lines("child")).toEqual([join(r.runDir, "child"), "from-parent"]);
    expect(readFileSync(join(r.runDir, "parent", "f"), "utf8")).toBe("from-parent\n");
  });

  test("with keep-going, a failing sibling leaves the other's files and the parent's directory intact", async () => {
    const r = await run(
      graph(
        [
          { key: "parent", cmd: "echo original > data.txt" },
          { key: "breaker", cmd: "echo broken > data.txt; rm -rf nested; exit 3" },
          { key: "reader", cmd: "sleep 0.5; cat data.txt nested/deep/file.txt" },
        ],
        [
          ["parent", "breaker"],
          ["parent", "reader"],
        ],
      ),
    );
    expect(r.exitCode).toBe(1);
    expect(r.end("breaker")?.exit_code).toBe(3);
    expect(r.end("reader")?.exit_code).toBe(0);
    expect(r.lines("reader")).toEqual(["original", "deep"]);
    expect(readFileSync(join(r.runDir, "parent", "data.txt"), "utf8")).toBe("original\n");
  });

  test("step keys are escaped: none leaves the run directory, and children of such a key find their parent", async () => {
    const r = await run(
      graph(
        [
          { key: "../up", cmd: 'echo up > marker; basename "$HM_WORKSPACE"' },
          { key: "..", cmd: 'basename "$HM_WORKSPACE"; cat marker' },
          { key: "a/b c", cmd: 'basename "$HM_WORKSPACE"; dirname "$HM_WORKSPACE"; cat marker' },
          { key: ".hidden", cmd: 'basename "$HM_WORKSPACE"; cat marker' },
        ],
        [
          ["../up", ".."],
          ["../up", "a/b c"],
          ["a/b c", ".hidden"],
        ],
      ),
    );
    expect(r.exitCode).toBe(0);
    expect(r.lines("../up")).toEqual(["%2E.%2Fup"]);
    // Siblings: each in a copy at its own (escaped) path.
    expect(r.lines("..")).toEqual(["%2E.", "up"]);
    expect(r.lines("a/b c")).toEqual(["a%2Fb%20c", r.runDir, "up"]);
    // An only child: at its parent's path, found through the escaped snapshot.
    expect(r.lines(".hidden")).toEqual(["a%2Fb%20c", "up"]);
  });

  test("stdout and stderr arrive line by line, in order, including a 200 000-byte line and a final partial line", async () => {
    const r = await run(
      graph([
        {
          key: "talk",
          cmd: [
            "set -e",
            "printf 'first\\nwindows\\r\\n'",
            "printf 'e1\\n' >&2",
            "head -c 200000 /dev/zero | tr '\\0' x",
            "echo",
            "awk 'BEGIN { for (i = 1; i <= 10000; i++) print \"n\" i }'",
            "printf 'e2\\ne-partial' >&2",
            "printf 'partial'",
          ].join("\n"),
        },
      ]),
      { archive: null },
    );
    expect(r.exitCode).toBe(0);
    const numbered = Array.from({ length: 10000 }, (_, i) => `n${i + 1}`);
    expect(r.lines("talk")).toEqual(["first", "windows", "x".repeat(200000), ...numbered, "partial"]);
    expect(r.lines("talk", "stderr")).toEqual(["e1", "e2", "e-partial"]);
  });

  test("a line longer than 1 MiB arrives in pieces cut at UTF-8 boundaries, nothing lost", async () => {
    const line = `a${"é".repeat(700_000)}`; // 1 400 001 bytes; byte 1 MiB is inside an "é"
    const file = join(scratch.path, "long-line.txt");
    writeFileSync(file, `${line}\nafter\n`);
    const r = await run(graph([{ key: "huge", cmd: `cat '${file}'` }]), { archive: null });
    const pieces = r.lines("huge");
    expect(pieces).toHaveLength(3);
    expect(pieces.slice(0, 2).join("")).toBe(line);
    expect(Buffer.byteLength(pieces[0] ?? "")).toBe((1 << 20) - 1);
    expect(pieces[2]).toBe("after");
  });

  test("the command starts with default signal handling: a pipe's writer dies of SIGPIPE", async () => {
    // Bun ignores SIGPIPE; were that inherited, this loop would write into the closed pipe forever.
    const r = await run(graph([{ key: "pipe", timeout: 5, cmd: "(while :; do echo y; done) | head -n 1" }]), {
      archive: null,
    });
    expect(r.end("pipe")?.exit_code).toBe(0);
    expect(r.lines("pipe")).toEqual(["y"]);
  });

  test("the exit code propagates; a step killed by signal n ends 128 + n", async () => {
    const r = await run(
      graph([
        { key: "three", cmd: "exit 3" },
        { key: "killed", cmd: "kill -9 $$" },
      ]),
      { archive: null },
    );
    expect(r.exitCode).toBe(1);
    expect(r.end("three")).toMatchObject({ exit_code: 3, snapshot: null });
    expect(r.end("killed")).toMatchObject({ exit_code: 137, snapshot: null });
    const failed = r.events.flatMap((e) => (e.kind === "chain_failed" ? [e.message] : []));
    expect(failed.sort()).toEqual(["step 'killed' exited with code 137", "step 'three' exited with code 3"]);
  });

  test("cancel ends a running step with 130 quickly and leaves no process of its group", async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    const r = await run(
      graph([
        {
          key: "sleepy",
          cmd: "sleep 30 & echo $! > bg.pid; echo $$ > main.pid; echo ready; sleep 30",
        },
      ]),
      {
        archive: null,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.kind === "step_log" && e.line === "ready") {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      },
    );
    expect(performance.now() - abortedAt).toBeLessThan(4000);
    expect(r.exitCode).toBe(130);
    expect(r.end("sleepy")?.exit_code).toBe(130);
    expect(await waitUntilGone(readPids(join(r.runDir, "sleepy"), "main.pid", "bg.pid"))).toEqual([]);
  });

  test("a step timeout stops the command: 124, and its processes are gone", async () => {
    const r = await run(
      graph([
        {
          key: "slow",
          timeout: 1,
          cmd: "sleep 30 & echo $! > bg.pid; echo $$ > main.pid; sleep 30",
        },
      ]),
      { archive: null },
    );
    expect(r.exitCode).toBe(124);
    expect(r.end("slow")?.exit_code).toBe(124);
    expect(await waitUntilGone(readPids(join(r.runDir, "slow"), "main.pid", "bg.pid"))).toEqual([]);
  });

  test("background processes a passing step leaves behind are killed when it exits", async () => {
    const r = await run(graph([{ key: "leaver", cmd: "sleep 30 & echo $! > bg.pid" }]), { archive: null });
    expect(r.exitCode).toBe(0);
    expect(await waitUntilGone(readPids(join(r.runDir, "leaver"), "bg.pid"))).toEqual([]);
  });

  test("the build_end hook removes the run directory, without following symlinks out of it", async () => {
    const runId = crypto.randomUUID();
    const outside = join(scratch.path, "outside");
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, "keep.txt"), "keep\n");
    const hook = async (event: HookEvent["event"]) => {
      pool ??= new WorkerPool(1);
      const call = callPlugin(
        pool,
        shell,
        "onHookEvent",
        encodeHookEvent({ event, phase: "after" }),
        { runId, stepId: null, configDir: null, archives: {}, kvPath },
        decodeHookOutcome,
        silentLogger(),
      );
      return call.result;
    };
    const plan = { step_count: 1n, chain_count: 1n, default_runner: "shell" };
    expect(await hook({ kind: "build_start", run_id: runId, plan, started_at: Date.now() })).toEqual({
      kind: "continue",
    });
    const r = await run(
      graph([
        {
          key: "mess",
          cmd: `ln -s ${outside} out-link; mkdir -p ro/sub && touch ro/sub/f && chmod 555 ro/sub ro`,
        },
      ]),
      { runId },
    );
    expect(r.exitCode).toBe(0);
    expect(readlinkSync(join(r.runDir, "mess", "out-link"))).toBe(outside);

    expect(await hook({ kind: "build_end", exit_code: 0, duration_ms: 5n })).toEqual({ kind: "continue" });
    expect(existsSync(r.runDir)).toBe(false);
    expect(readFileSync(join(outside, "keep.txt"), "utf8")).toBe("keep\n");
  });
});
