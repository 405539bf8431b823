/**
 * Step-scope KV entries hm sets before it calls a plugin's `execute_step`
 * (plugin-abi.md §5, "Entries hm sets"): facts about the step that
 * `ExecutorInput` does not carry. They extend what a runner learns without
 * touching `ExecutorInput`, whose strict borsh layout every compiled plugin
 * decodes: a plugin that never reads them is unaffected. Keys start with
 * `hm.`, a prefix plugins must not write.
 */
import { vec } from "./codec.ts";
import { decodeMessage, encodeMessage } from "./message.ts";
import { string } from "./primitives.ts";

/** The keys of the steps that start from this step's snapshot (its builds_in children), in pipeline order. */
export const BUILDS_IN_CHILDREN_KEY = "hm.builds_in_children";

const stepKeys = vec(string, "builds_in_children");

/** borsh `Vec<string>`. */
export function encodeBuildsInChildren(keys: readonly string[]): Uint8Array {
  return encodeMessage("BuildsInChildren", stepKeys, keys);
}

export function decodeBuildsInChildren(bytes: Uint8Array): string[] {
  return decodeMessage("BuildsInChildren", stepKeys, bytes);
}
