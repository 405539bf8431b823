/**
 * The real Docker engine for tests. `dockerReady` says whether one answers;
 * without one, Docker tests skip with a printed reason, unless
 * HM_REQUIRE_DOCKER=1 (CI), where a missing engine is a failure. No registry
 * is reachable, so tests build their image: a rootfs holding Debian's static
 * busybox and its applet links, `docker import`ed once as TEST_IMAGE.
 */
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { parseEventStream } from "./event-schema.ts";
import { runHm, tempDir } from "./hm.ts";
import { makeProject } from "./project.ts";

export const TEST_IMAGE = "hm-test/busybox:1";
const BUSYBOX = "/bin/busybox";

function engineAnswers(): boolean {
  const r = Bun.spawnSync(["docker", "version", "--format", "{{.Server.Version}}"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  return r.exitCode === 0;
}

function whyNot(): string | null {
  if (Bun.which("docker") === null) return "the docker CLI is not installed";
  if (!engineAnswers()) return "no Docker engine answers";
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`;
  return null;
}

const reason = whyNot();
if (reason !== null && process.env.HM_REQUIRE_DOCKER === "1") {
  throw new Error(`HM_REQUIRE_DOCKER=1 but Docker tests cannot run: ${reason}`);
}
if (reason !== null) console.error(`skipping Docker tests: ${reason}`);

export const dockerReady = reason === null;

/** Builds TEST_IMAGE unless the engine has it. */
export function ensureTestImage(): void {
  if (!dockerReady) return;
  const present = Bun.spawnSync(["docker", "image", "inspect", TEST_IMAGE], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (present.exitCode === 0) return;
  const root = tempDir("hm-busybox-root-");
  try {
    for (const dir of ["bin", "tmp", "root", "workspace"])
      mkdirSync(join(root.path, dir), { recursive: true });
    Bun.spawnSync(["cp", BUSYBOX, join(root.path, "bin", "busybox")]);
    const applets = Bun.spawnSync([BUSYBOX, "--list"], { stdout: "pipe" })
      .stdout.toString()
      .trim()
      .split("\n");
    for (const applet of applets)
      if (applet !== "busybox") symlinkSync("busybox", join(root.path, "bin", applet));
    const imported = Bun.spawnSync(
      ["sh", "-c", `tar -C "${root.path}" -c . | docker import --change 'ENV PATH=/bin' - ${TEST_IMAGE}`],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    if (imported.exitCode !== 0) throw new Error(`docker import failed: ${imported.stderr.toString()}`);
  } finally {
    root.cleanup();
  }
}

/** Containers, and images, carrying hm's run label (optionally of one run). */
export function labelled(kind: "containers" | "images", runId?: string): string[] {
  const filter = runId === undefined ? "label=dev.hm.run" : `label=dev.hm.run=${runId}`;
  const args =
    kind === "containers" ? ["ps", "-a", "-q", "--filter", filter] : ["images", "-q", "--filter", filter];
  return Bun.spawnSync(["docker", ...args], { stdout: "pipe" })
    .stdout.toString()
    .trim()
    .split("\n")
    .filter(Boolean);
}

/** Every image tag under a repository prefix (e.g. `hm-cache/`). */
export function tagsUnder(prefix: string): string[] {
  const out = Bun.spawnSync(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], { stdout: "pipe" });
  return out.stdout
    .toString()
    .trim()
    .split("\n")
    .filter((t) => t.startsWith(prefix));
}

/** `hm run --format json` in `root` with its own state directory, events parsed. */
export async function runJson(root: string, args: string[], stateDir: string) {
  const r = await runHm(["run", "--format", "json", ...args], { cwd: root, env: { HM_STATE_DIR: stateDir } });
  return { ...r, events: r.exitCode === 2 || r.stdout === "" ? [] : parseEventStream(r.stdout) };
}

/**
 * A private registry on 127.0.0.1 (Debian's docker-registry), so pulls are
 * exercised for real without the internet; the engine trusts loopback
 * registries over plain http. Null, with the reason printed, when the
 * registry is not installed.
 */
export async function startLocalRegistry(): Promise<{ address: string; stop: () => void } | null> {
  const binary = Bun.which("docker-registry");
  if (binary === null) {
    const why = "docker-registry is not installed (apt-get install docker-registry)";
    if (process.env.HM_REQUIRE_DOCKER === "1") throw new Error(`HM_REQUIRE_DOCKER=1 but ${why}`);
    console.error(`skipping pull tests: ${why}`);
    return null;
  }
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const address = `127.0.0.1:${probe.port}`;
  probe.stop(true);
  const dir = tempDir("hm-registry-");
  const config = join(dir.path, "config.yml");
  await Bun.write(
    config,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir.path, "data")}\nhttp:\n  addr: ${address}\n`,
  );
  const proc = Bun.spawn([binary, "serve", config], { stdout: "ignore", stderr: "pipe" });
  const stop = () => {
    proc.kill();
    dir.cleanup();
  };
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://${address}/v2/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { address, stop };
    await Bun.sleep(50);
  }
  stop();
  throw new Error(`docker-registry did not answer on ${address}: ${await new Response(proc.stderr).text()}`);
}

/** The cache tags of one project (its identity computed as hm does), sorted. */
export async function projectCacheTags(root: string): Promise<string[]> {
  const { projectIdentity } = await import("../../src/pipeline/project-identity.ts");
  return tagsUnder(`hm-cache/${(await projectIdentity(root)).id}/`).sort();
}

/** The workspace images hm made for one project (`hm-workspace/<project>:…`), sorted. */
export async function projectWorkspaceTags(root: string): Promise<string[]> {
  const { projectIdentity } = await import("../../src/pipeline/project-identity.ts");
  return tagsUnder(`hm-workspace/${(await projectIdentity(root)).id}:`).sort();
}

/** Removes the cache and workspace images of a project the test made (and nothing else). */
export async function removeProjectCache(root: string): Promise<void> {
  const tags = [...(await projectCacheTags(root)), ...(await projectWorkspaceTags(root))];
  if (tags.length > 0) Bun.spawnSync(["docker", "rmi", "-f", ...tags], { stdout: "pipe", stderr: "pipe" });
}

/** A project (see makeProject) whose `cleanup` also removes the images hm made for it (await it). */
export function dockerProject(files: Parameters<typeof makeProject>[0]) {
  const project = makeProject(files);
  return {
    ...project,
    cleanup: async () => {
      await removeProjectCache(project.root);
      project.cleanup();
    },
  };
}

/**
 * Projects and images a test file makes for the step cache, removed (with the
 * projects' cache images, and nothing else) by `cleanup` in its afterAll.
 */
export function cacheScratch(prefix: string) {
  const scratch = tempDir(prefix);
  const projects: { root: string; cleanup: () => void }[] = [];
  const images: string[] = [];
  return {
    path: scratch.path,
    /**
     * A project of the test's own (see makeProject); its `cleanup` (await it) removes it and its
     * images at once, else the file's cleanup does.
     */
    project(files: Record<string, string>) {
      const made = makeProject(files);
      projects.push(made);
      return {
        root: made.root,
        cleanup: async () => {
          const at = projects.indexOf(made);
          if (at === -1) return;
          projects.splice(at, 1);
          await removeProjectCache(made.root);
          made.cleanup();
        },
      };
    },
    /** Remembers an image name the test made, to remove at the end. */
    ownImage(name: string): string {
      images.push(name);
      return name;
    },
    async cleanup() {
      for (const project of projects) {
        await removeProjectCache(project.root);
        project.cleanup();
      }
      if (images.length > 0)
        Bun.spawnSync(["docker", "rmi", "-f", ...images], { stdout: "pipe", stderr: "pipe" });
      scratch.cleanup();
    },
  };
}

/**
 * A hostname of this test process's own, and a command prefix that runs hm under it (a UTS
 * namespace: `unshare --uts`, which needs root; null where the system refuses it). hm marks what
 * it creates with `<pid>@<hostname>`, and every hm on the shared engine (`hm gc`, the start of
 * each `hm run`) reaps a dead owner's leftovers on its own host only: another host's owner is
 * taken as alive. So a run and a gc under this hostname reap each other's leftovers and no one
 * else's, and no other hm reaps theirs first (docs/design.md, "A verdict only from a finished build").
 */
export const OWN_HOST = `hm-test-${crypto.randomUUID().slice(0, 8)}`;
const canUnshare =
  Bun.which("unshare") !== null &&
  Bun.spawnSync(["unshare", "--uts", "sh", "-c", `hostname ${OWN_HOST}`], { stdout: "pipe", stderr: "pipe" })
    .exitCode === 0;
export const onOwnHost: ((command: string[]) => string[]) | null = canUnshare
  ? (command) => ["unshare", "--uts", "sh", "-c", `hostname ${OWN_HOST} && exec "$@"`, "sh", ...command]
  : null;

/** The pid in the owner label (`<pid>@<host>`) of a container, or null. */
export function containerOwnerPid(container: string): number | null {
  const owner = Bun.spawnSync(
    ["docker", "inspect", "--format", '{{index .Config.Labels "dev.hm.owner"}}', container],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  )
    .stdout.toString()
    .trim();
  const match = /^(\d+)@/.exec(owner);
  return match === null ? null : Number(match[1]);
}
