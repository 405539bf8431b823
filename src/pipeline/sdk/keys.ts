/**
 * Step keys (`docs/design.md`, "Pipelines, keys and the IR"): an explicit `key` wins; else the label's slug
 * when it is non-empty, not taken by an explicit key and unique among label
 * slugs; else the first 12 hex chars of sha256(parentKey \0 cmd \0 position).
 */
import { createHash } from "node:crypto";
import type { Step } from "./step.ts";

const EMOJI_SHORTCODE = /:[a-z0-9_+-]+:/g;
const NON_ALPHANUMERIC = /[^a-z0-9]+/g;

function slugifyLabel(label: string): string {
  return label
    .toLowerCase()
    .replace(EMOJI_SHORTCODE, " ")
    .replace(NON_ALPHANUMERIC, "-")
    .replace(/^-+|-+$/g, "");
}

function hashKey(parentKey: string, cmd: string, position: number): string {
  return createHash("sha256").update(`${parentKey}\0${cmd}\0${position}`, "utf8").digest("hex").slice(0, 12);
}

/** Keys for `commandSteps`, given in lowering order (a parent before its children). */
export function resolveKeys(commandSteps: readonly Step[]): Map<number, string> {
  const explicit = new Map<number, string>();
  const labelSlug = new Map<number, string>();
  const slugCount = new Map<string, number>();
  for (const step of commandSteps) {
    if (step._keyOverride != null) explicit.set(step._id, step._keyOverride);
    const slug = step._label == null ? "" : slugifyLabel(step._label);
    if (slug !== "") {
      slugCount.set(slug, (slugCount.get(slug) ?? 0) + 1);
      if (step._keyOverride == null) labelSlug.set(step._id, slug);
    }
  }

  const taken = new Set(explicit.values());
  const keys = new Map<number, string>();
  commandSteps.forEach((step, position) => {
    const key = explicit.get(step._id);
    if (key !== undefined) {
      keys.set(step._id, key);
      return;
    }
    const slug = labelSlug.get(step._id);
    if (slug !== undefined && !taken.has(slug) && slugCount.get(slug) === 1) {
      keys.set(step._id, slug);
      taken.add(slug);
      return;
    }
    // The parent counts only when it is itself a command step (not scratch or a fork).
    const parentKey = (step._parent && keys.get(step._parent._id)) ?? "";
    keys.set(step._id, hashKey(parentKey, step._cmd ?? "", position));
  });
  return keys;
}
