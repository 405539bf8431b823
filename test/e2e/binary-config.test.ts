/**
 * The compiled binary reads the configuration layers and the reference's
 * flags as the sources do (Bun's TOML parser is part of the binary).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { buildBinaryOnce } from "../helpers/build-binary.ts";
import { parseEventStream } from "../helpers/event-schema.ts";
import { runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-binary-config-");
const project = makeProject({
  ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";
export default { slug: "ci", pipeline: pipeline([sh("echo ran", { label: "a" })]) };
`,
  ".hm/config.toml": '[run]\nrunner = "shell"\n\n[preferences]\nformat = "json"\nfromat = "x"\n',
});
beforeAll(() => buildBinaryOnce(), 120_000);
afterAll(() => {
  project.cleanup();
  scratch.cleanup();
});

test("dist/hm takes its runner and format from .hm/config.toml, warns on an unknown key, records -b/-m", async () => {
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "-d", project.root, "-b", "main", "-m", "from the binary"], {
    binary: true,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  expect(r.exitCode).toBe(0);
  expect(r.stderr).toContain(".hm/config.toml:6: unknown key 'preferences.fromat'");
  const events = parseEventStream(r.stdout);
  const start = events.find((e) => e.kind === "build_start");
  expect(start?.kind === "build_start" ? start.source : null).toEqual({
    branch: "main",
    commit: null,
    message: "from the binary",
  });
  expect(events.flatMap((e) => (e.kind === "step_start" ? [e.runner] : []))).toEqual(["shell"]);
}, 60_000);
