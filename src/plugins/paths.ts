/** Where plugins and hm's state live on disk (`docs/design.md`, "Plugins: where, and which wins"). */
import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

export const LIBRARY_EXTENSION =
  process.platform === "darwin" ? "dylib" : process.platform === "win32" ? "dll" : "so";

/** `${HM_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/hm}` */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HM_STATE_DIR) return env.HM_STATE_DIR;
  const xdg = env.XDG_STATE_HOME || join(env.HOME || homedir(), ".local", "state");
  return join(xdg, "hm");
}

/** `${HM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hm}`: what can be rebuilt (the embedded plugins' files). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HM_CACHE_DIR) return env.HM_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(xdg, "hm");
}

export function kvDatabasePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), "kv.sqlite");
}

/** `~/.harmont/plugins/`: where `hm plugin install` puts plugins. */
export function userPluginDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HOME || homedir(), ".harmont", "plugins");
}

export function projectPluginDir(projectRoot: string): string {
  return join(projectRoot, ".hm", "plugins");
}

/** The reference's `<project>/.harmont/plugins/`, read like `.hm/plugins/` (which shadows it). */
export function legacyProjectPluginDir(projectRoot: string): string {
  return join(projectRoot, ".harmont", "plugins");
}

export function envPluginDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.HM_PLUGIN_PATH ?? "").split(delimiter).filter((d) => d !== "");
}

/**
 * Creates `dir` and its missing parents readable by this user only (0700):
 * hm's state (plugin KV data, run records) is nobody else's business. A
 * directory that exists is left as it is: it may be one the user chose.
 */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Creates `file` empty with mode 0600 if missing, and tightens it to 0600 if
 * an earlier hm left it readable by others (it is hm's own file).
 */
export function makePrivateFile(file: string): void {
  closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
}

/** Tightens `file` to 0600 when it exists (SQLite removes its journals when the last connection closes, at any time). */
export function tightenIfPresent(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
