/**
 * Hiding secret values in what hm shows and keeps (`docs/design.md`,
 * "Secrets"): every occurrence of a value, of each of its lines, and of
 * the encodings a step commonly prints them in (JSON-escaped, URL-encoded,
 * base64 at each of the three byte alignments a value can have inside a
 * longer base64 text) becomes `***`. Forms shorter than MIN_SECRET_LENGTH
 * are not masked: masking them would hide ordinary text, and the value
 * itself is refused when it is that short (src/run/secrets/sources.ts).
 */
import { HmError } from "../../errors.ts";
import type { HmEvent } from "../events.ts";

/** The shortest value hm accepts as a secret (an empty one hides nothing and is let through). */
export const MIN_SECRET_LENGTH = 4;

export const MASK = "***";

export interface SecretMask {
  /** False when there is nothing to hide: `text` and `event` return their input. */
  readonly active: boolean;
  text(text: string): string;
  /** The event with `text` applied to every string in it. */
  event(event: HmEvent): HmEvent;
}

/** The strings that stand for `value` in printed text, longest first. */
export function maskedForms(value: string): string[] {
  if (value.length < MIN_SECRET_LENGTH) return [];
  const forms = new Set<string>([value]);
  for (const line of value.split(/\r?\n/)) forms.add(line);
  for (const form of [...forms]) {
    forms.add(JSON.stringify(form).slice(1, -1));
    forms.add(encodeURIComponent(form));
  }
  const bytes = new TextEncoder().encode(value);
  for (let shift = 0; shift < 3; shift++) forms.add(base64Core(bytes, shift));
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/**
 * The base64 characters that depend on `bytes` alone when they start
 * `shift` bytes into a 3-byte group of a longer text: the characters that
 * mix in bytes before or after are left out.
 */
function base64Core(bytes: Uint8Array, shift: number): string {
  const padded = new Uint8Array(shift + bytes.length);
  padded.set(bytes, shift);
  const encoded = Buffer.from(padded).toString("base64").replace(/=+$/, "");
  const lead = [0, 2, 3][shift] as number;
  const trail = padded.length % 3 === 0 ? 0 : 1;
  return encoded.slice(lead, encoded.length - trail);
}

export function secretMask(values: Iterable<string>): SecretMask {
  const forms = [...new Set([...values].flatMap(maskedForms))].sort((a, b) => b.length - a.length);
  if (forms.length === 0) return { active: false, text: (text) => text, event: (event) => event };
  const pattern = new RegExp(forms.map(escapeRegExp).join("|"), "g");
  const text = (input: string) => (input === "" ? input : input.replace(pattern, MASK));
  const event = (event: HmEvent): HmEvent => {
    // Most events are log lines: one field to look at, and no copy when it shows nothing.
    if (event.kind !== "step_log") return maskStrings(event, text);
    const line = text(event.line);
    return line === event.line ? event : { ...event, line };
  };
  return { active: true, text, event };
}

/** A copy of `value` with `text` applied to each string in it, at any depth. */
function maskStrings<T>(value: T, text: (input: string) => string): T {
  if (typeof value === "string") return text(value) as T;
  if (Array.isArray(value)) return value.map((item) => maskStrings(item, text)) as T;
  if (value !== null && typeof value === "object") {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = maskStrings(item, text);
    return copy as T;
  }
  return value;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The error as hm prints it, masked; its cause (printed with -v) is dropped when it shows a secret. */
export function maskedError(error: HmError, mask: SecretMask): HmError {
  if (!mask.active) return error;
  const message = mask.text(error.message);
  const hint = error.hint === undefined ? undefined : mask.text(error.hint);
  const stack =
    error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : String(error.cause);
  const causeShowsSecret = error.cause !== undefined && mask.text(stack) !== stack;
  if (message === error.message && hint === error.hint && !causeShowsSecret) return error;
  return new HmError(error.code, message, {
    ...(hint === undefined ? {} : { hint }),
    ...(causeShowsSecret ? {} : { cause: error.cause }),
  });
}
