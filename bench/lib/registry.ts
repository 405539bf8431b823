/** Every benchmark `bun run bench` knows, in the order RESULTS.md shows them. */
import codec from "../codec.ts";
import pluginCall from "../plugin-call.ts";
import type { Benchmark } from "./report.ts";

export const benchmarks: readonly Benchmark[] = [pluginCall, codec];
