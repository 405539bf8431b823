/**
 * The container operations hm's docker runner does per step, done directly with dockerode, as the
 * yardstick for the docker benchmark: `bun bench/lib/dockerode-steps.ts <steps> <parallelism>
 * <image> <workspace dir> <cmd>`. Packs the workspace once (tar cf), then per step: inspect the
 * image, create the container, put the two archives, attach, start, read the output to its end,
 * wait, remove. The step's output goes to stdout as JSON lines, as `hm run --format json` does.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { miniTar } from "../../src/docker/mini-tar.ts";

const [steps, parallelism, image, workspace, cmd] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const docker = new Docker();
const scratch = mkdtempSync(join(tmpdir(), "hm-bench-dockerode-"));
const archive = join(scratch, "workspace.tar");
if (Bun.spawnSync(["tar", "-C", workspace, "-cf", archive, "."]).exitCode !== 0)
  throw new Error("tar failed");
const workspaceTar = readFileSync(archive);
const setupTar = Buffer.from(
  miniTar([{ name: "workspace/" }, { name: ".hm/" }, { name: ".hm/listing", content: "" }]),
);

async function step(i: number): Promise<void> {
  await docker.getImage(image).inspect();
  const container = await docker.createContainer({
    Image: image,
    Cmd: ["sh", "-c", cmd],
    Env: [`STEP=${i}`],
    WorkingDir: "/",
    Labels: { "dev.hm.bench": "1" },
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
  });
  try {
    await container.putArchive(setupTar, { path: "/" });
    await container.putArchive(workspaceTar, { path: "/workspace" });
    const output = await container.attach({ stream: true, stdout: true, stderr: true });
    const ended = new Promise<void>((resolve) => {
      output.on(
        "data",
        (chunk: Buffer) => void process.stdout.write(`${JSON.stringify({ step: i, bytes: chunk.length })}\n`),
      );
      output.on("end", resolve);
    });
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await ended;
    if (StatusCode !== 0) throw new Error(`step ${i} exited ${StatusCode}`);
  } finally {
    await container.remove({ force: true, v: true });
  }
}

let next = 0;
const total = Number(steps);
await Promise.all(
  Array.from({ length: Math.max(1, Number(parallelism)) }, async () => {
    while (next < total) await step(next++);
  }),
);
rmSync(scratch, { recursive: true, force: true });
