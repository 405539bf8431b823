/**
 * Runs one benchmark in this process and writes its Section as JSON to a file:
 * `bun bench/lib/child.ts <name> <out.json> [--small]`. bench/run.ts starts one per benchmark, so
 * each starts from a fresh process (no JIT state, workers or heap left by another).
 */
import { writeFileSync } from "node:fs";
import { benchmarks } from "./registry.ts";

const [name, out] = process.argv.slice(2);
const bench = benchmarks.find((b) => b.name === name);
if (bench === undefined || out === undefined) throw new Error(`usage: child.ts <name> <out.json> [--small]`);
const section = await bench.run({ small: process.argv.includes("--small") });
writeFileSync(out, JSON.stringify(section));
process.exit(0);
