/**
 * Should the workspace tar be gzipped? Timed end to end, as the docker runner
 * pays for it: pack the tree, (compress,) and `putArchive` it into a fresh
 * container, for a 20 000-file tree of source-like text. The engine accepts
 * gzip on that endpoint, so the only question is which is faster here.
 * Run: `bun bench/workspace-compression.ts` (needs an engine and the test
 * image `hm-test/busybox:1`, which `bun test test/docker` builds).
 * Figures: bench/results/workspace-compression.txt.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEngine } from "../src/docker/engine.ts";
import { packWorkspace } from "../src/run/workspace/pack.ts";

const RUNS = 5;
const IMAGE = "hm-test/busybox:1";
const base = mkdtempSync(join(tmpdir(), "hm-bench-gzip-"));
const root = join(base, "tree");
const tar = join(base, "workspace.tar");

for (let i = 0; i < 20_000; i++) {
  const dir = join(root, `pkg-${i % 40}`, `src-${i % 13}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `file-${i}.ts`),
    `export function f${i}(x: number): number {\n  return x * ${i};\n}\n`.repeat(1 + (i % 40)),
  );
}

const engine = await connectEngine();

async function upload(body: Buffer): Promise<void> {
  const container = await engine.createContainer({
    Image: IMAGE,
    Cmd: ["true"],
    Labels: { "dev.hm.bench": "1" },
  });
  try {
    await container.putArchive(body, { path: "/workspace" });
  } finally {
    await container.remove({ force: true });
  }
}

async function variant(level: number | null): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let run = 0; run <= RUNS; run++) {
    const started = performance.now();
    await packWorkspace({ root, pipelineDir: null, output: tar });
    const raw = readFileSync(tar);
    const body = level === null ? raw : Buffer.from(Bun.gzipSync(raw, { level: level as 1 }));
    await upload(body);
    if (run > 0) ms.push(performance.now() - started); // run 0 warms the file cache
    bytes = body.byteLength;
  }
  return { ms, bytes };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
const rawSize = (await packWorkspace({ root, pipelineDir: null, output: tar })).bytes;
const lines = [
  `workspace upload, pack + compress + putArchive, 20 000 files, ${(rawSize / 1048576).toFixed(1)} MiB tar; median of ${RUNS} (min–max)`,
];
for (const [name, level] of [
  ["none", null],
  ["gzip -1", 1],
  ["gzip -6", 6],
] as const) {
  const { ms, bytes } = await variant(level);
  lines.push(
    `${name.padEnd(8)} ${median(ms).toFixed(0).padStart(5)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)})  ${(bytes / 1048576).toFixed(1)} MiB sent`,
  );
}
rmSync(base, { recursive: true, force: true });
const out = join(import.meta.dir, "results", "workspace-compression.txt");
mkdirSync(join(import.meta.dir, "results"), { recursive: true });
writeFileSync(out, `${lines.join("\n")}\n`);
console.log(lines.join("\n"));
console.log(`(written to ${out})`);
