/**
 * Where `hm run`'s secrets come from (`docs/design.md`, "Secrets"):
 * `--secret NAME` takes NAME's value from hm's own environment,
 * `--secret-file FILE` reads `NAME=value` lines. Everything is checked
 * before the run starts; a mistake names the flag, or the file and line,
 * and stops hm with exit 2.
 */
import { readFileSync, realpathSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { HmError, messageOf } from "../../errors.ts";
import { MIN_SECRET_LENGTH } from "./mask.ts";

export type SecretSource =
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "file"; readonly path: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Secrets {
  /** Each name's value (a later source wins for the same name). */
  readonly values: Readonly<Record<string, string>>;
  /** The absolute paths of the `--secret-file`s read. */
  readonly files: readonly string[];
}

/** Each source's values, in order. */
export function readSecrets(
  sources: readonly SecretSource[],
  environment: Readonly<Record<string, string | undefined>>,
): Secrets {
  const secrets: Record<string, string> = {};
  const files: string[] = [];
  for (const source of sources) {
    if (source.kind === "name") {
      const { name } = source;
      if (!NAME.test(name)) {
        throw new HmError("E_USAGE", `--secret '${name}': expected a variable name`, {
          hint: "give the name only (--secret TOKEN); its value comes from hm's environment, or use --secret-file",
        });
      }
      const value = environment[name];
      if (value === undefined) {
        throw new HmError("E_USAGE", `--secret ${name}: ${name} is not set in hm's environment`, {
          hint: `set it (export ${name}=…) before running hm, or put ${name}=… in a --secret-file`,
        });
      }
      secrets[name] = checkedValue(value, `--secret ${name}`);
    } else {
      Object.assign(secrets, readSecretFile(source.path));
      files.push(resolve(source.path));
    }
  }
  return { values: secrets, files };
}

/**
 * A secrets file inside the project that the workspace archive holds would be
 * in every step's tree and in every image made from it: refused (exit 2).
 */
export function refusePackedSecretFiles(
  files: readonly string[],
  root: string,
  packed: readonly string[],
): void {
  if (files.length === 0) return;
  const inArchive = new Set(packed);
  for (const file of files) {
    for (const path of new Set([file, realpathOr(file)])) {
      const inside = relative(realpathOr(root), path);
      if (inside === "" || inside.startsWith("..") || isAbsolute(inside) || !inArchive.has(inside)) continue;
      throw new HmError(
        "E_USAGE",
        `--secret-file ${file} is part of the working tree hm packs for the steps`,
        {
          hint: `add ${inside} to .gitignore (hm packs no ignored file), or keep it outside the project`,
        },
      );
    }
  }
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** A secrets file: `NAME=value` lines; blank lines and `#` comments are skipped. */
function readSecretFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new HmError("E_USAGE", `--secret-file ${path}: cannot read it (${messageOf(error)})`);
  }
  const secrets: Record<string, string> = {};
  text.split("\n").forEach((raw, index) => {
    const where = `${path}:${index + 1}`;
    const line = raw.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    const name = (eq < 0 ? line : line.slice(0, eq)).replace(/^export\s+/, "").trim();
    if (eq < 0 || !NAME.test(name)) {
      // The line is not shown: it may hold a value.
      throw new HmError("E_USAGE", `${where}: expected NAME=value`, {
        hint: "one NAME=value per line (NAME: letters, digits, _); # starts a comment line",
      });
    }
    secrets[name] = checkedValue(unquoted(line.slice(eq + 1).trim(), where), `${where}: ${name}`);
  });
  return secrets;
}

/** A value in matching quotes loses them (in double quotes, `\n`, `\"` and `\\` are escapes); else as written. */
function unquoted(value: string, where: string): string {
  const quote = value[0];
  if (quote !== '"' && quote !== "'") return value;
  if (value.length < 2 || value[value.length - 1] !== quote) {
    throw new HmError("E_USAGE", `${where}: the value's closing ${quote} is missing`, {
      hint: "a quoted value ends with the same quote, on the same line",
    });
  }
  const inner = value.slice(1, -1);
  if (quote === "'") return inner;
  return inner.replace(/\\([n"\\])/g, (_, c: string) => (c === "n" ? "\n" : c));
}

function checkedValue(value: string, what: string): string {
  if (value.length > 0 && value.length < MIN_SECRET_LENGTH) {
    throw new HmError(
      "E_USAGE",
      `${what}: the value is ${value.length} character${value.length === 1 ? "" : "s"} long, too short to mask`,
      {
        hint: `a secret needs at least ${MIN_SECRET_LENGTH} characters: masking a shorter one would hide ordinary text in every log; pass it with -e if it is not secret`,
      },
    );
  }
  return value;
}
