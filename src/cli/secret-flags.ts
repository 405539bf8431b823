/**
 * `hm run --secret NAME` and `--secret-file FILE`, both repeatable: the
 * sources in the order given (citty keeps only the last value of a flag).
 */
import { HmError } from "../errors.ts";
import type { SecretSource } from "../run/secrets/sources.ts";

export function secretSources(rawArgs: readonly string[]): SecretSource[] {
  const sources: SecretSource[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i] as string;
    if (token === "--") break;
    for (const flag of ["--secret", "--secret-file"] as const) {
      let value: string | undefined;
      if (token === flag) value = rawArgs[++i];
      else if (token.startsWith(`${flag}=`)) value = token.slice(flag.length + 1);
      else continue;
      if (value === undefined || value === "") {
        throw new HmError("E_USAGE", `${flag}: expected ${flag === "--secret" ? "a NAME" : "a FILE"}`);
      }
      sources.push(flag === "--secret" ? { kind: "name", name: value } : { kind: "file", path: value });
    }
  }
  return sources;
}

/** A name given both as `-e` (printed, part of cache keys) and as a secret is a mistake. */
export function checkNoPlainSecret(
  extraEnv: Readonly<Record<string, string>>,
  secrets: Readonly<Record<string, string>>,
): void {
  for (const name of Object.keys(secrets)) {
    if (Object.hasOwn(extraEnv, name)) {
      throw new HmError("E_USAGE", `${name} is given both with -e and as a secret`, {
        hint: `drop -e ${name}=…: a secret reaches every step's environment already`,
      });
    }
  }
}
