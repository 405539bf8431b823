/**
 * The yardstick of the big-tree benchmark: running a job's steps the way act does, with
 * dockerode (the engine API, as act uses it, not the docker CLI):
 * `bun bench/lib/act-like.ts <image> <project dir> <label> <cmd>...`.
 * One container of the image (kept alive by `sleep`), the project's tracked files copied in
 * once (`git ls-files | tar`, streamed into putArchive at /workspace, `.hm/` left out as hm
 * leaves it out), then one exec per command in /workspace, each read to its end and checked
 * for exit 0; the container is removed at the end. Prints one JSON line of the phases' wall
 * milliseconds: `{"createMs","copyMs","execMs":[...],"removeMs","outputs":[...]}`.
 */
import { spawn } from "node:child_process";
import Docker from "dockerode";

const [image, project, label, ...commands] = process.argv.slice(2);
if (image === undefined || project === undefined || label === undefined || commands.length === 0)
  throw new Error("usage: act-like.ts <image> <project dir> <label> <cmd>...");

const docker = new Docker();

function since(started: number): number {
  return performance.now() - started;
}

/** The tracked files (without .hm/) as a tar stream, as act's copy of the checkout would send them. */
async function copyTree(container: Docker.Container): Promise<void> {
  const tar = spawn("sh", ["-c", "git ls-files -z -- . ':!.hm' | tar --null --no-recursion -T - -cf -"], {
    cwd: project,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  tar.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number>((resolve) => tar.on("close", (code) => resolve(code ?? 1)));
  await container.putArchive(tar.stdout, { path: "/workspace" });
  const code = await exited;
  if (code !== 0) throw new Error(`packing ${project} failed (exit ${code}): ${stderr}`);
}

async function execStep(container: Docker.Container, cmd: string): Promise<string> {
  const exec = await container.exec({
    Cmd: ["sh", "-c", cmd],
    WorkingDir: "/workspace",
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`'${cmd}' exited ${ExitCode}`);
  // Multiplexed frames: 8-byte headers before each payload; the payload is all we keep.
  const raw = Buffer.concat(chunks);
  let text = "";
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    text += raw.subarray(at + 8, at + 8 + size).toString();
    at += 8 + size;
  }
  return text.trim();
}

let started = performance.now();
const container = await docker.createContainer({
  Image: image,
  Cmd: ["sleep", "86400"],
  Labels: { "dev.hm.bench": label },
  NetworkDisabled: true,
});
try {
  await container.start();
  const createMs = since(started);
  started = performance.now();
  await copyTree(container);
  const copyMs = since(started);
  const execMs: number[] = [];
  const outputs: string[] = [];
  for (const cmd of commands) {
    started = performance.now();
    outputs.push(await execStep(container, cmd));
    execMs.push(since(started));
  }
  started = performance.now();
  await container.remove({ force: true, v: true });
  const removeMs = since(started);
  console.log(JSON.stringify({ createMs, copyMs, execMs, removeMs, outputs }));
} catch (error) {
  await container.remove({ force: true, v: true }).catch(() => undefined);
  throw error;
}
