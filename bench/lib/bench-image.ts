/**
 * A base image of the benchmark's own, under a name no one else uses, so nothing it measures
 * depends on images other work put on the engine, and it can be removed at the end without
 * touching theirs. No registry is reachable here: the image is `docker import`ed from a rootfs
 * holding the machine's static busybox and its applet links (as test/helpers/docker.ts does).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BUSYBOX = "/bin/busybox";

/** Why the Docker benchmarks cannot run here, or null when they can. */
export function dockerMissing(): string | null {
  if (Bun.which("docker") === null) return "the docker CLI is not installed";
  const version = Bun.spawnSync(["docker", "version", "--format", "{{.Server.Version}}"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (version.exitCode !== 0) return "no Docker engine answers";
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`;
  return null;
}

/** Imports a busybox image as `tag` (which must be new) and returns its id. */
export function importBusyboxImage(tag: string, labels: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "hm-bench-rootfs-"));
  try {
    for (const dir of ["bin", "tmp", "root", "workspace"]) mkdirSync(join(root, dir), { recursive: true });
    const copied = Bun.spawnSync(["cp", BUSYBOX, join(root, "bin", "busybox")]);
    if (copied.exitCode !== 0) throw new Error(`copying ${BUSYBOX} failed`);
    const applets = Bun.spawnSync([BUSYBOX, "--list"], { stdout: "pipe" })
      .stdout.toString()
      .trim()
      .split("\n");
    for (const applet of applets) if (applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
    const changes = ["ENV PATH=/bin", ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${v}`)];
    const imported = Bun.spawnSync(
      [
        "sh",
        "-c",
        `tar -C "$0" -c . | docker import ${changes.map((c) => `--change '${c}'`).join(" ")} - "$1"`,
        root,
        tag,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (imported.exitCode !== 0) throw new Error(`docker import failed: ${imported.stderr.toString()}`);
    return imported.stdout.toString().trim();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
