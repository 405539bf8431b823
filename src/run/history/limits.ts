/**
 * How much run history hm keeps per project (`docs/design.md`, "Run history"):
 * the newest `maxRuns` runs, and of those only as many, newest first, as fit
 * in `maxBytes`. The run being recorded and runs still going are never
 * removed, so a single run may exceed the byte limit. `maxRuns` 0 turns
 * recording off. The configuration (`[logs]`) may set them; `HM_HISTORY_RUNS` and
 * `HM_HISTORY_BYTES` win over it.
 */
import * as v from "valibot";
import { HmError } from "../../errors.ts";

export interface HistoryLimits {
  readonly maxRuns: number;
  readonly maxBytes: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { maxRuns: 50, maxBytes: 512 * 1024 * 1024 };

const UNITS: Readonly<Record<string, number>> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

const Count = v.pipe(v.string(), v.trim(), v.regex(/^\d+$/), v.transform(Number), v.safeInteger());
const Size = v.pipe(
  v.string(),
  v.trim(),
  v.regex(/^\d+(\.\d+)?\s*([KMG](i?B)?|B)?$/i),
  v.transform((text) => {
    const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)/i.exec(text) as RegExpExecArray;
    return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? "").toUpperCase()] ?? 1));
  }),
  v.safeInteger(),
);

/** The limits `HM_HISTORY_RUNS` and `HM_HISTORY_BYTES` set, else `configured`'s, else the defaults. */
export function historyLimitsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  configured: Partial<HistoryLimits> = {},
): HistoryLimits {
  return {
    maxRuns: parseVariable(
      env,
      "HM_HISTORY_RUNS",
      Count,
      configured.maxRuns ?? DEFAULT_HISTORY_LIMITS.maxRuns,
      "a whole number of runs, e.g. 20 (0 keeps none)",
    ),
    maxBytes: parseVariable(
      env,
      "HM_HISTORY_BYTES",
      Size,
      configured.maxBytes ?? DEFAULT_HISTORY_LIMITS.maxBytes,
      "a size in bytes, e.g. 200M, 1G or 1048576",
    ),
  };
}

function parseVariable(
  env: NodeJS.ProcessEnv,
  name: string,
  schema: typeof Count | typeof Size,
  fallback: number,
  expected: string,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const parsed = v.safeParse(schema, raw);
  if (parsed.success) return parsed.output;
  throw new HmError("E_USAGE", `${name}='${raw}': expected ${expected}`, {
    hint: `set ${name} to ${expected}, or unset it for the default`,
  });
}
