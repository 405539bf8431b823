/** `hm run --secret` on a real terminal (tmux): the progress view and the summary show only `***`. */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { makeProject } from "../helpers/project.ts";
import { hasTmux, openTerminal } from "../helpers/tmux.ts";

const scratch = tempDir("hm-secrets-tty-");
const project = makeProject({
  ".hm/ci.ir.json": irJson([
    { key: "deploy", label: "Deploy", cmd: 'echo "token=$TOKEN"; sleep 1; echo "again $TOKEN" >&2; exit 4' },
  ]),
});
afterAll(() => {
  project.cleanup();
  scratch.cleanup();
});

const TOKEN = "tty-secret-5be0d2";

test.skipIf(!hasTmux)(
  "the failed step's log in the terminal summary is masked",
  async () => {
    const terminal = openTerminal(
      [
        "sh",
        "-c",
        'cd "$0" && env -u CI "$@"; echo "hm exited $?"',
        REPO_ROOT,
        process.execPath,
        join(REPO_ROOT, "src", "main.ts"),
        "run",
        "-d",
        project.root,
        "--runner",
        "shell",
        "--secret",
        "TOKEN",
      ],
      {
        PATH: process.env.PATH ?? "",
        HOME: scratch.path,
        HM_STATE_DIR: join(scratch.path, "state"),
        TMPDIR: scratch.path,
        TERM: "xterm-256color",
        TOKEN,
      },
    );
    try {
      const live = await terminal.waitFor("0/1 steps", 30_000);
      expect(live).not.toContain(TOKEN);
      const done = await terminal.waitFor("hm exited 1", 30_000);
      expect(done).toContain("--- Deploy failed (exit 4) ---");
      expect(done).toContain("token=***");
      expect(done).toContain("again ***");
      expect(done).not.toContain(TOKEN);
    } finally {
      terminal.close();
    }
  },
  60_000,
);
