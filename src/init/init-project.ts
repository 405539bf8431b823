/**
 * `hm init`: writes `.hm/pipeline.ts` from a template, plus what editors need
 * to type-check pipeline files with no npm install (`.hm/tsconfig.json`
 * pointing the SDK's module names at declarations in `.hm/types/`).
 * `--force` overwrites only the pipeline file; nothing else is removed.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listPipelineFiles } from "../pipeline/project.ts";
import { SDK_DECLARATIONS, TOOLCHAIN_DECLARATIONS } from "../pipeline/sdk/declarations.ts";
import { SDK_MODULE_NAMES, TOOLCHAIN_MODULE_NAMES } from "../pipeline/sdk-modules.ts";
import type { Template } from "./templates.ts";

export const PIPELINE_FILE = "pipeline.ts";

interface InitResult {
  /** Files written, relative to the project directory. */
  readonly written: string[];
  /** True when an existing pipeline kept the template from being written. */
  readonly skippedTemplate: boolean;
}

/** Whether `.hm/` already holds a pipeline (any pipeline module, IR file or Python file). */
export function hasPipeline(projectDir: string): boolean {
  const dir = join(projectDir, ".hm");
  if (!existsSync(dir)) return false;
  const { files, python } = listPipelineFiles(dir);
  return files.length > 0 || python.length > 0;
}

export function initProject(projectDir: string, template: Template | null, force: boolean): InitResult {
  const hmDir = join(projectDir, ".hm");
  mkdirSync(join(hmDir, "types"), { recursive: true });
  const written: string[] = [];
  const write = (relative: string, content: string) => {
    writeFileSync(join(projectDir, relative), content);
    written.push(relative);
  };

  const skippedTemplate = template === null || (hasPipeline(projectDir) && !force);
  if (template !== null && !skippedTemplate) write(`.hm/${PIPELINE_FILE}`, template.source);

  // hm owns these: always refreshed so they match this hm's SDK.
  write(".hm/types/hm.d.ts", SDK_DECLARATIONS);
  write(".hm/types/hm-toolchains.d.ts", TOOLCHAIN_DECLARATIONS);
  write(".hm/tsconfig.json", editorTsconfig());
  ensureGitignored(join(hmDir, ".gitignore"), "node_modules/");
  // Python's bytecode cache, left by `.hm/*.py` pipelines and their helpers.
  ensureGitignored(join(hmDir, ".gitignore"), "__pycache__/");
  return { written, skippedTemplate };
}

function editorTsconfig(): string {
  const paths: Record<string, string[]> = {};
  for (const name of SDK_MODULE_NAMES) paths[name] = ["./types/hm.d.ts"];
  for (const name of TOOLCHAIN_MODULE_NAMES) paths[name] = ["./types/hm-toolchains.d.ts"];
  const config = {
    compilerOptions: {
      target: "ESNext",
      module: "ESNext",
      moduleResolution: "bundler",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      paths,
    },
    include: ["*.ts", "*.mts", "types/*.d.ts"],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

function ensureGitignored(path: string, entry: string): void {
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  if (current.split("\n").some((line) => line.trim() === entry)) return;
  const separator = current === "" || current.endsWith("\n") ? "" : "\n";
  appendFileSync(path, `${separator}${entry}\n`);
}
