/**
 * Host-function arguments that are not whole messages: the log level and
 * KV scope (one u8 each, passed as plain integers) and the archive id
 * (the 16 bytes of a UUID).
 */
import { DecodeError, describe, EncodeError } from "./errors.ts";
import { formatUuid, parseUuid } from "./scalars.ts";

export const LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

export const KV_SCOPES = ["plugin", "build", "step"] as const;
export type KvScope = (typeof KV_SCOPES)[number];

/** A log level's wire number. */
export function levelToWire(level: Level): number {
  return LEVELS.indexOf(level);
}

/** The level a wire number stands for, or null if it is not one. */
export function levelFromWire(n: number): Level | null {
  return LEVELS[n] ?? null;
}

/** A KV scope's wire number. */
export function kvScopeToWire(scope: KvScope): number {
  return KV_SCOPES.indexOf(scope);
}

/** The KV scope a wire number stands for, or null if it is not one. */
export function kvScopeFromWire(n: number): KvScope | null {
  return KV_SCOPES[n] ?? null;
}

/** An ArchiveId's wire form: the UUID's 16 raw bytes. */
export function uuidToBytes(s: string): Uint8Array {
  const bytes = parseUuid(s);
  if (bytes === null)
    throw new EncodeError("ArchiveId", "", `expected a hyphenated UUID string, got ${describe(s)}`);
  return bytes;
}

/** The lowercase hyphenated UUID of exactly 16 bytes. */
export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new DecodeError("ArchiveId", Math.min(bytes.length, 16), `expected 16 bytes, got ${bytes.length}`);
  }
  return formatUuid(bytes);
}
