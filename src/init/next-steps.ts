/**
 * How `hm init` names paths and commands back to the user: from the `-d` they
 * typed (not the absolute path hm resolved), so a suggested command works
 * when pasted into the same shell, from the same directory.
 */
import { join } from "node:path";
import { shellQuote } from "../pipeline/sdk/toolchains/cargo.ts";
import { PIPELINE_FILE } from "./init-project.ts";

/** `dirArg` is `-d` as given; undefined when the user left it out. */
export function shownPath(dirArg: string | undefined, ...relative: string[]): string {
  return join(dirArg ?? ".", ...relative);
}

export function shownPipelineFile(dirArg: string | undefined): string {
  return shownPath(dirArg, ".hm", PIPELINE_FILE);
}

/** `hm <words>`, keeping `-d` when the user gave one. */
export function hmCommand(words: string, dirArg: string | undefined): string {
  return dirArg === undefined ? `hm ${words}` : `hm ${words} -d ${shellQuote(dirArg)}`;
}
