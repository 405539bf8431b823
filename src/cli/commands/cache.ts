import { connectEngine } from "../../docker/engine.ts";
import { HmError } from "../../errors.ts";
import { findProject } from "../../pipeline/project.ts";
import { projectIdentity } from "../../pipeline/project-identity.ts";
import { formatBytes } from "../../run/render/format.ts";
import { defineHmCommand, dirArg } from "../command.ts";
import { writeStderr, writeStdout } from "../output.ts";

type CacheStore = typeof import("../../docker/cache-store.ts");
type CacheScope = import("../../docker/cache-store.ts").CacheScope;

const scopeArgs = {
  ...dirArg,
  all: { type: "boolean", description: "Every project's cache on the engine, not only this project's" },
} as const;

const dirPositional = {
  cacheDir: {
    type: "positional",
    description: "Directory holding the saved cache",
    required: true,
    valueHint: "DIR",
  },
} as const;

/** This project's cache (`-d`, else discovery), or every project's with `--all`; said on stderr. */
async function scopeOf(args: { dir?: string; all?: boolean }): Promise<{ scope: CacheScope; what: string }> {
  if (args.all === true) return { scope: { kind: "all" }, what: "all projects" };
  const project = findProject(process.cwd(), args.dir);
  const identity = await projectIdentity(project.root);
  return { scope: { kind: "project", id: identity.id }, what: `project ${project.root} (${identity.id})` };
}

async function store(): Promise<CacheStore> {
  return import("../../docker/cache-store.ts");
}

const ls = defineHmCommand({
  meta: { name: "ls", description: "List the project's step-cache images: step, key, size, last used" },
  args: scopeArgs,
  async run({ args }) {
    const { scope, what } = await scopeOf(args);
    const images = await (await store()).cacheImages(await connectEngine(), scope);
    const rows = images.map((image) => [
      ...(scope.kind === "all" ? [image.projectRoot ?? image.projectId ?? "(earlier hm: no project)"] : []),
      image.step,
      image.cacheKey?.slice(0, 16) ?? "-",
      image.tag.slice(image.tag.lastIndexOf(":") + 1),
      formatBytes(image.size),
      new Date(image.lastUsed * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
    ]);
    const header = [
      ...(scope.kind === "all" ? ["PROJECT"] : []),
      "STEP",
      "KEY",
      "ENTRY",
      "SIZE",
      "LAST USED",
    ];
    await writeStderr(`${images.length} cache ${images.length === 1 ? "image" : "images"} of ${what}\n`);
    if (rows.length > 0) await writeStdout(table([header, ...rows]));
    return 0;
  },
});

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map(
      (row) =>
        `${row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd()}\n`,
    )
    .join("");
}

const save = defineHmCommand({
  meta: {
    name: "save",
    description: "Export the project's step-cache images to DIR; prints the manifest hash (a CI cache key)",
  },
  args: { ...dirPositional, ...scopeArgs },
  async run({ args }) {
    const { scope, what } = await scopeOf(args);
    const result = await (await store()).saveCache(await connectEngine(), args.cacheDir, scope);
    const archive =
      result.images === 0
        ? ""
        : `, ${formatBytes(result.archiveBytes)} archive ${result.written ? "written" : "unchanged"}`;
    await writeStderr(
      `saved ${result.images} cache images of ${what} to ${args.cacheDir}${archive}${result.removed.length > 0 ? `, ${result.removed.length} stale files removed` : ""}\n`,
    );
    await writeStdout(`${result.hash}\n`);
    return 0;
  },
});

const restore = defineHmCommand({
  meta: {
    name: "restore",
    description: "Load the project's step-cache images saved in DIR that the engine lacks",
  },
  args: { ...dirPositional, ...scopeArgs },
  async run({ args }) {
    const { scope, what } = await scopeOf(args);
    const result = await (await store()).restoreCache(await connectEngine(), args.cacheDir, scope);
    const line =
      result.kind === "missing_dir"
        ? "restored 0/0 images (cache dir missing)"
        : result.kind === "empty"
          ? "restored 0/0 images (cache dir empty)"
          : result.kind === "legacy"
            ? `restored 0/${result.images} images: ${args.cacheDir} was written by an earlier hm (manifest version 1), whose cache images belong to no project and would never be hit; the next hm cache save replaces them`
            : `restored ${result.loaded}/${result.total} images of ${what} (${result.present} already present)`;
    await writeStderr(`${line}\n`);
    return 0;
  },
});

const clean = defineHmCommand({
  meta: { name: "clean", description: "Remove the project's step-cache images from the engine" },
  args: {
    ...scopeArgs,
    "older-than-days": {
      type: "string",
      valueHint: "N",
      description: "Only images no run has used for more than N days",
    },
  },
  async run({ args }) {
    const raw = args["older-than-days"];
    // Digits only: Number("") is 0, and `--older-than-days=$UNSET` must not mean "everything".
    const days = raw === undefined ? undefined : /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (days !== undefined && !(Number.isFinite(days) && days >= 0)) {
      throw new HmError("E_USAGE", `--older-than-days must be a number of days ≥ 0, got '${raw}'`, {
        hint: "e.g. --older-than-days 7, or leave it out to remove every cache image of the project",
      });
    }
    const { scope, what } = await scopeOf(args);
    const result = await (await store()).cleanCache(await connectEngine(), scope, days);
    await writeStderr(
      result.images + result.workspaces === 0
        ? `nothing to clean (${what})\n`
        : `removed ${count(result.images, "cache image")} and ${count(result.workspaces, "workspace image")} of ${what} (${formatBytes(result.bytes)})\n`,
    );
    return 0;
  },
});

export default defineHmCommand({
  meta: { name: "cache", description: "List, save, restore and clean the step cache (docker runner)" },
  subCommands: { ls, save, restore, clean },
});

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
