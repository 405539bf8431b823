/**
 * Where a project's pipelines live (`docs/design.md`, "Pipelines, keys and the IR"): the root is `-d DIR`,
 * else the nearest ancestor of the working directory holding `.hm/` (or the
 * older `.harmont/`), else the working directory.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { HmError } from "../errors.ts";

const PIPELINE_DIR_NAMES = [".hm", ".harmont"] as const;

export interface Project {
  readonly root: string;
  /** `<root>/.hm` or `<root>/.harmont`; null when the project has neither. */
  readonly pipelineDir: string | null;
}

export function findProject(cwd: string, dirOption?: string): Project {
  if (dirOption !== undefined) {
    const root = resolve(cwd, dirOption);
    if (!isDirectory(root)) {
      throw new HmError("E_PROJECT", `project directory ${root} does not exist or is not a directory`, {
        hint: "pass an existing directory with -d",
      });
    }
    return { root, pipelineDir: pipelineDirOf(root) };
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const pipelineDir = pipelineDirOf(dir);
    if (pipelineDir !== null) return { root: dir, pipelineDir };
    if (dirname(dir) === dir) break;
  }
  return { root: resolve(cwd), pipelineDir: null };
}

function pipelineDirOf(root: string): string | null {
  for (const name of PIPELINE_DIR_NAMES) {
    // ~/.harmont is hm's own directory (installed plugins), never a project's pipelines.
    if (name === ".harmont" && resolve(root) === resolve(homedir())) continue;
    const dir = join(root, name);
    if (isDirectory(dir)) return dir;
  }
  return null;
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** False for anything that is not a regular file, a dangling symlink included. */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export type PipelineFile =
  | { kind: "module"; path: string; name: string }
  | { kind: "ir"; path: string; name: string; slug: string };

const MODULE_FILE = /\.(ts|mts|js|mjs)$/;
const IR_FILE = /\.ir\.json$/;

/**
 * Pipeline files at the top level of the pipeline directory, sorted by name.
 * `*.py` files are listed apart: they are evaluated by python3 (python/python-eval.ts).
 */
export function listPipelineFiles(pipelineDir: string): { files: PipelineFile[]; python: string[] } {
  const files: PipelineFile[] = [];
  const python: string[] = [];
  const names = readdirSync(pipelineDir).sort();
  for (const name of names) {
    const path = join(pipelineDir, name);
    if (!isFile(path)) continue;
    if (IR_FILE.test(name)) files.push({ kind: "ir", path, name, slug: name.replace(IR_FILE, "") });
    else if (MODULE_FILE.test(name) && !name.endsWith(".d.ts")) files.push({ kind: "module", path, name });
    else if (name.endsWith(".py")) python.push(name);
  }
  return { files, python };
}
