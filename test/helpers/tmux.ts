/**
 * A real terminal for tests: a detached tmux session running one command.
 * `screen()` captures what a user would see; `keys()` types into it.
 */
import { tempDir } from "./hm.ts";

export const hasTmux = Bun.which("tmux") !== null;

export interface Terminal {
  keys(...keys: string[]): void;
  screen(): string;
  waitFor(text: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

export function openTerminal(command: string[], env: Record<string, string> = {}): Terminal {
  const session = `hm-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  // Its own tmux server socket, so tests never touch a developer's sessions.
  const socket = tempDir("hm-tmux-");
  const tmux = (...args: string[]) =>
    Bun.spawnSync(["tmux", "-S", `${socket.path}/sock`, ...args], { stdout: "pipe", stderr: "pipe" });
  const quoted = command.map((c) => `'${c.replaceAll("'", "'\\''")}'`).join(" ");
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}='${v.replaceAll("'", "'\\''")}';`)
    .join(" ");
  const started = tmux(
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    "100",
    "-y",
    "30",
    // The pane's shell survives Ctrl-C (its trap runs once the command exits), so the screen stays readable.
    `trap true INT; ${exports} ${quoted}; sleep 30`,
  );
  if (started.exitCode !== 0) throw new Error(`tmux failed: ${started.stderr.toString()}`);
  const screen = () => tmux("capture-pane", "-p", "-t", session).stdout.toString();
  return {
    keys: (...keys) => void tmux("send-keys", "-t", session, ...keys),
    screen,
    // 25 s unless told: hm started on a loaded machine can take 10 s to draw its first screen.
    async waitFor(text, timeoutMs = 25_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = screen();
        if (current.includes(text)) return current;
        if (Date.now() > deadline)
          throw new Error(`terminal never showed ${JSON.stringify(text)}; screen:\n${current}`);
        await Bun.sleep(50);
      }
    },
    close() {
      tmux("kill-server");
      socket.cleanup();
    },
  };
}
