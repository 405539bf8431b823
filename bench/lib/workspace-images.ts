/**
 * The workspace images (`hm-workspace/<project>:…`, the docker runner's step
 * image plus the tree) that a benchmark's `hm run`s made for a project of its
 * own: the benchmark removes them, and nothing else, when it is done.
 */
import { projectIdentity } from "../../src/pipeline/project-identity.ts";

export async function removeWorkspaceImages(projectRoot: string): Promise<void> {
  const { id } = await projectIdentity(projectRoot);
  const repository = `hm-workspace/${id}`;
  const listed = Bun.spawnSync(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}", repository], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const tags = listed.stdout
    .toString()
    .split("\n")
    .filter((tag) => tag.startsWith(`${repository}:`));
  if (tags.length > 0) Bun.spawnSync(["docker", "rmi", "-f", ...tags], { stdout: "pipe", stderr: "pipe" });
}
