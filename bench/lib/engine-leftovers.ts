/**
 * Removes from the engine what one benchmark run made, and nothing else, without knowing how
 * the runner names its images (the runner is being rewritten while the benchmark measures it).
 * An image is the benchmark's when it descends from the benchmark's own base image (commits and
 * builds record their parent), or when a tag or a label names one of the benchmark's project
 * ids (hm scopes cache entries by project). Containers: those of the base image or its
 * descendants, and those carrying the benchmark's own label.
 */

interface ImageInfo {
  readonly Id: string;
  readonly Parent?: string;
  readonly RepoTags?: string[] | null;
  readonly Config?: { readonly Labels?: Record<string, string> | null } | null;
}

function docker(args: string[]): { ok: boolean; out: string; err: string } {
  const r = Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" });
  return { ok: r.exitCode === 0, out: r.stdout.toString(), err: r.stderr.toString() };
}

function lines(text: string): string[] {
  return [...new Set(text.trim().split("\n").filter(Boolean))];
}

function allImages(): ImageInfo[] {
  const ids = lines(docker(["images", "-a", "--no-trunc", "-q"]).out);
  const infos: ImageInfo[] = [];
  for (let i = 0; i < ids.length; i += 200) {
    // An image removed by someone else between the list and the inspect makes inspect fail
    // for the whole batch; its output still holds the others.
    const r = docker(["image", "inspect", ...ids.slice(i, i + 200)]);
    if (r.out.trim() !== "") infos.push(...(JSON.parse(r.out) as ImageInfo[]));
  }
  return infos;
}

/** The benchmark's images, deepest first (children before parents), the base image last. */
export function benchImages(baseId: string, projectIds: readonly string[]): ImageInfo[] {
  const images = allImages();
  const byId = new Map(images.map((image) => [image.Id, image]));
  const depth = (image: ImageInfo): number | null => {
    let d = 0;
    for (let at: ImageInfo | undefined = image; at !== undefined; d++) {
      if (at.Id === baseId) return d;
      at = at.Parent ? byId.get(at.Parent) : undefined;
    }
    return null;
  };
  const names = (image: ImageInfo) => [
    ...(image.RepoTags ?? []),
    ...Object.values(image.Config?.Labels ?? {}),
  ];
  const ours = images
    .map((image) => ({ image, depth: depth(image) }))
    .filter(
      ({ image, depth }) =>
        depth !== null || names(image).some((n) => projectIds.some((id) => id !== "" && n.includes(id))),
    );
  // Images found by name only (no known depth) go first: they may sit on top of the base.
  const order = (depth: number | null) => depth ?? Number.MAX_SAFE_INTEGER;
  return ours.sort((a, b) => order(b.depth) - order(a.depth)).map(({ image }) => image);
}

/** Removes the benchmark's containers and images; returns what could not be removed, and why. */
export function removeBenchLeftovers(baseId: string, label: string, projectIds: readonly string[]): string[] {
  const problems: string[] = [];
  const images = benchImages(baseId, projectIds);
  const containers = new Set(
    lines(docker(["ps", "-a", "-q", "--filter", `label=dev.hm.bench=${label}`]).out),
  );
  for (const image of images)
    for (const id of lines(docker(["ps", "-a", "-q", "--filter", `ancestor=${image.Id}`]).out))
      containers.add(id);
  if (containers.size > 0) {
    const r = docker(["rm", "-f", "-v", ...containers]);
    if (!r.ok) problems.push(`containers ${[...containers].join(" ")}: ${r.err.trim()}`);
  }
  for (const image of images) {
    const r = docker(["rmi", "-f", image.Id]);
    if (!r.ok && !r.err.includes("No such image"))
      problems.push(`image ${image.Id} (${(image.RepoTags ?? []).join(", ")}): ${r.err.trim()}`);
  }
  return problems;
}
