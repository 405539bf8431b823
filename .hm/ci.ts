/**
 * hm's own pipeline: install once (cached until the lockfile changes), then
 * typecheck, lint and test in parallel from that snapshot.
 */
import { onChange, pipeline, pullRequest, push, sh, timeout } from "@harmont/hm";

const deps = sh("bun install --frozen-lockfile", {
  label: "install",
  image: "oven/bun:1.4.5",
  cache: onChange("package.json", "bun.lock"),
});

export default {
  slug: "ci",
  name: "hm CI",
  triggers: [push({ branch: "main" }), pullRequest()],
  pipeline: pipeline([
    deps.sh("bun run typecheck", { label: "typecheck" }),
    deps.sh("bun run lint", { label: "lint" }),
    timeout("20m", deps.sh("bun test", { label: "test" })),
  ]),
};
