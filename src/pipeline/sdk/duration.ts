/**
 * Durations as pipeline files write them: Go-style strings ("30s", "5m",
 * "1h30m"; units h, m, s) or a whole number of seconds. Always > 0.
 */
import { SdkError } from "./errors.ts";

const DURATION = /^(?:\d+[hms])+$/;
const SEGMENT = /(\d+)([hms])/g;
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1 };

export type Duration = string | number;

export function parseDuration(value: Duration, what = "timeout duration"): number {
  let seconds: number;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new SdkError(`${what} must be a whole number of seconds — got ${value}`);
    }
    seconds = value;
  } else if (typeof value === "string") {
    const text = value.trim();
    if (!DURATION.test(text)) {
      throw new SdkError(`invalid ${what} ${JSON.stringify(value)}`, {
        hint: 'use a Go-style duration like "30s", "5m", or "1h30m" (units: h, m, s)',
      });
    }
    seconds = 0;
    for (const [, amount, unit] of text.matchAll(SEGMENT)) {
      seconds += Number(amount) * (UNIT_SECONDS[unit as string] ?? 0);
    }
  } else {
    throw new SdkError(`${what} must be a string or number — got ${typeof value}`);
  }
  if (seconds <= 0) {
    throw new SdkError(`${what} must be positive — got ${JSON.stringify(value)}`, {
      hint: 'use a value like "30s" or "5m"',
    });
  }
  return seconds;
}
