/**
 * What a step-cache entry stands for (`docs/design.md`, "The step cache").
 * The SDK's cache key says when the user's inputs changed; hm adds what the
 * step runs, so a hit needs all of these to be the same as when the entry
 * was made:
 * - the project (its identity: part of the image name),
 * - the SDK's cache policy and key,
 * - the command, the image by id (a root step) or the parent's entry (a
 *   builds_in child), the merged environment, the runner and runner_args.
 * A parent that is not cached itself still has an entry fingerprint (its
 * definition, recursively down to its image id), so a child's entry changes
 * whenever anything above it does.
 */
import type { GraphStep } from "../protocol/ir.ts";
import type { CacheRequest } from "../runner/contract.ts";

export interface EntryInputs {
  readonly projectId: string;
  readonly step: GraphStep;
  readonly env: Readonly<Record<string, string>>;
  readonly runner: string;
  /** A root step: the id of the image it starts from; a child: null. */
  readonly imageId: string | null;
  /** A builds_in child: its parent's entry fingerprint; a root step: null. */
  readonly parentFingerprint: string | null;
}

/** Bumped whenever the fields below change meaning: every older entry becomes a miss. */
const FINGERPRINT_VERSION = 1;

/** SHA-256 (hex) over every input of the entry, in a fixed order. */
export function entryFingerprint(inputs: EntryInputs): string {
  const { step } = inputs;
  const canonical = JSON.stringify([
    FINGERPRINT_VERSION,
    inputs.projectId,
    step.cache?.policy ?? null,
    step.cache?.key ?? null,
    step.cmd,
    step.image ?? null,
    inputs.imageId,
    inputs.parentFingerprint,
    Object.entries(inputs.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    inputs.runner,
    canonicalJson(step.runner_args ?? null),
  ]);
  return new Bun.CryptoHasher("sha256").update(canonical).digest("hex");
}

/** JSON with object keys sorted at every level, so equal values always hash equally. */
function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (value !== null && typeof value === "object")
    return Object.keys(value)
      .sort()
      .map((key) => [key, canonicalJson((value as Record<string, unknown>)[key])]);
  return value;
}

/** Whether a step asks the cache for an entry at all (a policy other than `none`, with a key). */
export function wantsCache(step: GraphStep): boolean {
  return step.cache !== undefined && step.cache.policy !== "none" && (step.cache.key ?? "") !== "";
}

/**
 * The entry fingerprints of one run's steps, by key. A child's needs its
 * parent's, so parents are asked first (the scheduler's order, or a
 * forecast's topological walk); a step whose parent has none (it runs on
 * another runner) has none either.
 */
export class EntryFingerprints {
  private readonly byKey = new Map<string, string>();

  constructor(
    private readonly projectId: () => Promise<string>,
    private readonly runner: string,
  ) {}

  /** `imageId`: a root step's image id (null when not known yet); ignored for a child. Null when the step cannot have an entry. */
  async of(request: CacheRequest, imageId: string | null): Promise<string | null> {
    const parentFingerprint = request.parentKey === null ? null : this.byKey.get(request.parentKey);
    if (parentFingerprint === undefined) return null;
    const fingerprint = entryFingerprint({
      projectId: await this.projectId(),
      step: request.step,
      env: request.env,
      runner: this.runner,
      imageId: request.parentKey === null ? imageId : null,
      parentFingerprint,
    });
    this.byKey.set(request.step.key, fingerprint);
    return fingerprint;
  }
}
