import { connectEngine } from "../../docker/engine.ts";
import { HmError } from "../../errors.ts";
import { formatBytes } from "../../run/render/format.ts";
import { defineHmCommand } from "../command.ts";
import { writeStderr, writeStdout } from "../output.ts";

const dirPositional = {
  dir: { type: "positional", description: "Directory holding the saved cache", required: true },
} as const;

const save = defineHmCommand({
  meta: {
    name: "save",
    description: "Export the step-cache images to DIR; prints the manifest hash (a CI cache key)",
  },
  args: dirPositional,
  async run({ args }) {
    const { saveCache } = await import("../../docker/cache-store.ts");
    const result = await saveCache(await connectEngine(), args.dir);
    await writeStderr(
      `saved ${result.saved.length} images (${result.kept.length} already in ${args.dir}, ${result.removed.length} stale files removed)\n`,
    );
    await writeStdout(`${result.hash}\n`);
    return 0;
  },
});

const restore = defineHmCommand({
  meta: { name: "restore", description: "Load the step-cache images saved in DIR that the engine lacks" },
  args: dirPositional,
  async run({ args }) {
    const { restoreCache } = await import("../../docker/cache-store.ts");
    const result = await restoreCache(await connectEngine(), args.dir);
    await writeStderr(
      result.missingDir
        ? "restored 0/0 images (cache dir missing)\n"
        : `restored ${result.loaded}/${result.total} images (${result.present} already present)\n`,
    );
    return 0;
  },
});

const clean = defineHmCommand({
  meta: { name: "clean", description: "Remove the step-cache images from the engine" },
  args: {
    "older-than-days": {
      type: "string",
      valueHint: "N",
      description: "Only images created more than N days ago",
    },
  },
  async run({ args }) {
    const raw = args["older-than-days"];
    // Digits only: Number("") is 0, and `--older-than-days=$UNSET` must not mean "everything".
    const days = raw === undefined ? undefined : /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (days !== undefined && !(Number.isFinite(days) && days >= 0)) {
      throw new HmError("E_USAGE", `--older-than-days must be a number of days ≥ 0, got '${raw}'`, {
        hint: "e.g. --older-than-days 7, or leave it out to remove every cache image",
      });
    }
    const { cleanCache } = await import("../../docker/cache-store.ts");
    const result = await cleanCache(await connectEngine(), days);
    await writeStderr(
      result.images === 0
        ? "nothing to clean\n"
        : `removed ${result.images} cache images (${formatBytes(result.bytes)})\n`,
    );
    return 0;
  },
});

export default defineHmCommand({
  meta: { name: "cache", description: "Save, restore and clean the step cache (docker runner)" },
  subCommands: { save, restore, clean },
});
