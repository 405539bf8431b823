/** Where plugins and hm's state live on disk (`decisions.md` §6). */
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

export function envPluginDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.HM_PLUGIN_PATH ?? "").split(delimiter).filter((d) => d !== "");
}
