/**
 * Cargo's package, feature, target and profile flags, as the Rust toolchain
 * appends them to every cargo command. Values are shell-quoted the way
 * Python's `shlex.quote` does (the reference SDKs agree on it); `flags` pass
 * through as written.
 */
import { SdkError } from "../errors.ts";
export interface CargoOptions {
  readonly workspace?: boolean;
  readonly packages?: readonly string[];
  /** Needs `workspace`. */
  readonly exclude?: readonly string[];
  readonly allFeatures?: boolean;
  readonly noDefaultFeatures?: boolean;
  readonly features?: readonly string[];
  readonly target?: string;
  readonly allTargets?: boolean;
  readonly release?: boolean;
  readonly profile?: string;
  /** On unless false. */
  readonly locked?: boolean;
  readonly flags?: readonly string[];
}

export const CARGO_OPTIONS = [
  "workspace",
  "packages",
  "exclude",
  "allFeatures",
  "noDefaultFeatures",
  "features",
  "target",
  "allTargets",
  "release",
  "profile",
  "locked",
  "flags",
] as const satisfies readonly (keyof CargoOptions)[];

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  if (word === "") return "''";
  if (SHELL_SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** The flags, each preceded by a space ("" when there are none). */
export function cargoFlags(o: CargoOptions): string {
  checkCombination(o);
  const flags: string[] = [];
  if (o.packages?.length) flags.push(...o.packages.map((p) => `-p ${shellQuote(p)}`));
  else if (o.workspace) {
    flags.push("--workspace", ...(o.exclude ?? []).map((e) => `--exclude ${shellQuote(e)}`));
  }
  if (o.allTargets) flags.push("--all-targets");
  if (o.allFeatures) flags.push("--all-features");
  else {
    if (o.noDefaultFeatures) flags.push("--no-default-features");
    if (o.features?.length) flags.push(`--features ${shellQuote(o.features.join(","))}`);
  }
  if (o.target !== undefined) flags.push(`--target ${shellQuote(o.target)}`);
  if (o.profile !== undefined) flags.push(`--profile ${shellQuote(o.profile)}`);
  else if (o.release) flags.push("--release");
  if (o.locked ?? true) flags.push("--locked");
  if (o.flags?.length) flags.push(...o.flags);
  return flags.map((f) => ` ${f}`).join("");
}

function checkCombination(o: CargoOptions): void {
  if (o.allFeatures && (o.features?.length || o.noDefaultFeatures)) {
    throw new SdkError(
      `rust: allFeatures conflicts with features/noDefaultFeatures (features=${JSON.stringify(o.features ?? [])}, noDefaultFeatures=${o.noDefaultFeatures ?? false})`,
      { hint: "pass allFeatures alone, or list the features without it" },
    );
  }
  if (o.release && o.profile !== undefined) {
    throw new SdkError(`rust: release conflicts with profile ${JSON.stringify(o.profile)}`, {
      hint: 'use profile: "release" (the same thing) or drop one',
    });
  }
  if (o.exclude?.length && o.packages?.length) {
    throw new SdkError(
      `rust: exclude cannot be combined with packages (packages=${JSON.stringify(o.packages)}, exclude=${JSON.stringify(o.exclude)})`,
      { hint: "packages already selects the crates: drop one" },
    );
  }
  if (o.exclude?.length && !o.workspace) {
    throw new SdkError(`rust: exclude needs workspace (exclude=${JSON.stringify(o.exclude)})`, {
      hint: "cargo applies --exclude to --workspace only: pass workspace: true",
    });
  }
}
