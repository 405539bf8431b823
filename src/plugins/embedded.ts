/**
 * First-party plugins embedded in the compiled binary (`docs/design.md`, "Plugins: where, and which wins").
 * `bun run build` generates a module that imports each library
 * `with { type: "file" }` and registers it here before the CLI starts. A
 * library inside the binary cannot be opened by the dynamic loader, and Bun's
 * own extraction leaves a copy in `$TMPDIR` per process; hm writes each one
 * once to `<cache dir>/plugins/<sha256>.<ext>` (content-addressed, so two hm
 * versions never overwrite each other's) and opens that.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomically } from "../atomic-file.ts";
import { cacheDir, LIBRARY_EXTENSION } from "./paths.ts";

export interface EmbeddedLibrary {
  /** The plugin's directory name under plugins/ (its manifest holds the real name). */
  readonly name: string;
  /** Where the bundler put it: a `/$bunfs/…` path inside the binary. */
  readonly path: string;
  /** SHA-256 (hex) and size of its bytes, computed by the build so a start-up need not read them. */
  readonly sha256: string;
  readonly size: number;
}

let embedded: readonly EmbeddedLibrary[] = [];

export function registerEmbeddedPlugins(libraries: readonly EmbeddedLibrary[]): void {
  embedded = libraries;
}

export function embeddedPlugins(): readonly EmbeddedLibrary[] {
  return embedded;
}

interface Materialized {
  readonly dir: string;
  readonly files: string[];
  /** Libraries that could not be written, with why (reported as broken plugins would be). */
  readonly failures: { name: string; reason: string }[];
}

/** Each embedded library as a file the loader can open; its bytes are read only when that file is missing. */
export function materializeEmbeddedPlugins(env: NodeJS.ProcessEnv = process.env): Materialized {
  const dir = join(cacheDir(env), "plugins");
  const result: Materialized = { dir, files: [], failures: [] };
  for (const library of embedded) {
    try {
      const file = join(dir, `${library.sha256}.${LIBRARY_EXTENSION}`);
      // Written when missing, or rewritten when damaged (a truncated library crashes the loader).
      if (!existsSync(file) || statSync(file).size !== library.size) {
        const bytes = readFileSync(library.path);
        const digest = createHash("sha256").update(bytes).digest("hex");
        if (digest !== library.sha256)
          throw new Error(`embedded ${library.name} does not match its build digest`);
        mkdirSync(dir, { recursive: true });
        writeFileAtomically(file, bytes, 0o755); // a concurrent hm sees the whole file or none
      }
      result.files.push(file);
    } catch (error) {
      result.failures.push({
        name: library.name,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return result;
}
