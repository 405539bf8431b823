/**
 * `bun run build`: compiles hm into one executable, `dist/hm`.
 * --bytecode needs --format=esm (consola uses import.meta); the binary must
 * never pick up a user's .env or bunfig.toml (bun-notes §3).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const outfile = join(root, "dist", process.platform === "win32" ? "hm.exe" : "hm");
mkdirSync(join(root, "dist"), { recursive: true });

const args = [
  "build",
  "--compile",
  "--bytecode",
  "--format=esm",
  "--minify",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  join(root, "src/main.ts"),
  // Workers must be entry points of their own, or they are missing at run time (bun-notes §3).
  join(root, "src/plugins/worker.ts"),
  "--outfile",
  outfile,
];
const started = performance.now();
const build = Bun.spawnSync([process.execPath, ...args], { cwd: root, stdout: "inherit", stderr: "inherit" });
if (build.exitCode !== 0) {
  console.error(`build failed (bun ${args.join(" ")})`);
  process.exit(build.exitCode ?? 1);
}
console.error(`built ${outfile} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
