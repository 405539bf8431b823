/**
 * A step's container as the docker runner uses it: started with a process
 * that only waits, the step's command run in it through exec with the
 * step's own environment, what it changed, the small files hm keeps in
 * `/.hm/`, and its commit (`docs/design.md`, "The docker runner").
 */
import type { Readable } from "node:stream";
import type { Container, Exec } from "dockerode";
import * as v from "valibot";
import type { ExecutorInput, StdStream } from "../protocol/index.ts";
import { begin } from "../trace/tracer.ts";
import { StreamDemuxer } from "./demux.ts";
import { ownerLabel } from "./gc.ts";
import { splitTag } from "./images.ts";
import { LineSplitter } from "./lines.ts";
import { firstFileOf } from "./mini-tar.ts";
import { LABEL_RUN } from "./names.ts";
import { markCommit } from "./pending-commits.ts";
import { type ImageState, ImageStateSchema } from "./workspace-layer.ts";
import type { ContainerChange } from "./workspace-restore.ts";

/** Runs before the step's command: removes what the working tree no longer has, and stamps the start. */
const PRELUDE = [
  "if [ -f /.hm/delete ]; then",
  '  while IFS= read -r hm_path; do rm -rf "/workspace/$hm_path"; done < /.hm/delete',
  "  rm -f /.hm/delete; unset hm_path",
  "fi",
  // For untouchedSinceStep: what changes under /workspace from here on has a later ctime.
  "mkdir -p /.hm && : > /.hm/stamp",
  "cd /workspace || exit 125",
].join("\n");

/**
 * Prints `hm-untouched` when nothing under /workspace has a status change
 * (ctime) since the step's stamp: a write, a chmod, a deletion or creation
 * (which changes the directory's ctime). ctime cannot be set back by a
 * process, unlike mtime (`touch -d`, `cp -p`). Whole seconds, compared with
 * `>=`: a change in the stamp's second counts as a change. Without `stat`,
 * `find` or `awk` it prints nothing, and the caller asks the engine; a walk
 * that fails part-way counts as a change, so it never says untouched for what it did not see.
 */
const UNTOUCHED_CHECK =
  // A walk that fails (a directory it cannot read, a file gone under it) counts as a change.
  "s=$(stat -c %Z /.hm/stamp) && { find /workspace -exec stat -c %Z {} + || echo 99999999999; } | " +
  'awk -v s="$s" \'$1 >= s { changed = 1 } END { if (!changed) print "hm-untouched" }\'';

/**
 * The step's command in a subshell (its `exit` ends only that), then every
 * process it left running is killed before the exec ends (`kill -1` spares
 * the calling shell and the container's first process): the next step of
 * the chain, or the commit, sees a tree nothing is still changing, as a
 * child started from a snapshot would. The step's exit status is kept.
 */
function stepScript(cmd: string): string {
  return `${PRELUDE}\n(\n${cmd}\n)\nhm_status=$?\nkill -KILL -1 2>/dev/null\nexit $hm_status`;
}

/** The container's own process: waits on a stdin nobody writes to, so it needs nothing from the image but `sh`. */
export const KEEP_ALIVE = ["sh", "-c", "read hm_wait"];

/** Commits the container as `target`; a cache image outlives the run, so it drops the run's label. */
export async function commit(
  container: Container,
  runId: string,
  target: string,
  cached: boolean,
): Promise<void> {
  const [repo, tag] = splitTag(target);
  // Marked while the engine works on it: if hm dies meanwhile, the reaper waits for the image.
  const unmark = markCommit({ run: runId, owner: ownerLabel(), tag: target });
  try {
    await container.commit(cached ? { repo, tag, changes: [`LABEL ${LABEL_RUN}=`] } : { repo, tag });
  } finally {
    unmark();
  }
}

/** Runs the step's command in the container; its exit code (137 when the exec left none: the container was killed). */
export async function execStep(
  container: Container,
  input: ExecutorInput,
  onLog: (stream: StdStream, line: string) => void,
): Promise<number> {
  const running = begin("container exec");
  const exec = await container.exec({
    Cmd: ["sh", "-c", stepScript(input.step.cmd)],
    Env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
    WorkingDir: "/",
    AttachStdout: true,
    AttachStderr: true,
  });
  const output = await exec.start({ hijack: true, stdin: false });
  await streamLines(output, onLog);
  running.end();
  const waiting = begin("container wait");
  try {
    return await exitCodeOf(container, exec);
  } finally {
    waiting.end();
  }
}

/** The exec's exit code once the engine has it; 137 when the container is gone or no longer runs. */
async function exitCodeOf(container: Container, exec: Exec): Promise<number> {
  // The output ends when the command closes it, which may be before it exits (or a moment
  // before the engine records the exit): ask until it has. A cancel or timeout kills the container.
  for (let wait = 5; ; wait = Math.min(wait * 2, 500)) {
    let info: { Running: boolean; ExitCode: number | null };
    try {
      info = (await exec.inspect()) as typeof info;
    } catch {
      return 137; // the container is gone: killed
    }
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    // An exec of a container that was killed may keep saying it runs.
    const alive = await container
      .inspect()
      .then((c) => c.State.Running)
      .catch(() => false);
    if (!alive) return 137;
    await Bun.sleep(wait);
  }
}

/** What the container changed since it was made from its image (the engine reads the container's own layer only). */
export async function changesOf(container: Container): Promise<ContainerChange[]> {
  const answer = (await container.changes()) as unknown;
  if (Array.isArray(answer)) return answer as ContainerChange[];
  // dockerode hands an empty answer ("null") back as raw bytes.
  return [];
}

/** The `/.hm/state` of the image the container was made from, or null when it has none. */
export async function stateOf(container: Container): Promise<ImageState | null> {
  const text = await fileOf(container, "/.hm/state");
  if (text === null) return null;
  const parsed = v.safeParse(ImageStateSchema, safeJson(text));
  return parsed.success ? parsed.output : null;
}

export async function imageListing(container: Container): Promise<string[]> {
  return ((await fileOf(container, "/.hm/listing")) ?? "").split("\n");
}

/** A small file's content from the container, or null when it has none. */
async function fileOf(container: Container, path: string): Promise<string | null> {
  try {
    const stream = await container.getArchive({ path });
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const content = firstFileOf(new Uint8Array(Buffer.concat(chunks)));
    return content === null ? null : new TextDecoder().decode(content);
  } catch {
    return null;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function streamLines(
  output: NodeJS.ReadableStream,
  onLog: (stream: StdStream, line: string) => void,
): Promise<void> {
  const splitters = {
    stdout: new LineSplitter((line) => onLog("stdout", line)),
    stderr: new LineSplitter((line) => onLog("stderr", line)),
  };
  const demuxer = new StreamDemuxer((stream, payload) => splitters[stream].push(payload));
  return new Promise<void>((resolve) => {
    const readable = output as Readable;
    readable.on("data", (chunk: Buffer) =>
      demuxer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)),
    );
    const done = () => {
      splitters.stdout.end();
      splitters.stderr.end();
      resolve();
    };
    readable.once("end", done);
    readable.once("close", done);
    readable.once("error", done);
  }).then(() => {});
}

/**
 * Whether the last step run in this container left /workspace as it found it
 * (UNTOUCHED_CHECK; that step's processes are all gone: stepScript). The
 * engine's own list of changes costs time in proportion to the whole image's
 * tree on overlay2 (1.6 s for 50 000 files here, against 0.55 s for this
 * walk), so a big tree asks this first.
 */
export async function untouchedSinceStep(container: Container): Promise<boolean> {
  const exec = await container.exec({
    Cmd: ["sh", "-c", UNTOUCHED_CHECK],
    WorkingDir: "/",
    AttachStdout: true,
    AttachStderr: true,
  });
  const lines: string[] = [];
  await streamLines(await exec.start({ hijack: true, stdin: false }), (stream, line) => {
    if (stream === "stdout") lines.push(line);
  });
  return lines.length === 1 && lines[0] === "hm-untouched";
}
