/** Every benchmark `bun run bench` knows, in the order RESULTS.md shows them. */
import bigTree from "../big-tree.ts";
import codec from "../codec.ts";
import docker from "../docker.ts";
import hostApi from "../host-api.ts";
import logThroughput from "../log-throughput.ts";
import pack from "../pack.ts";
import pluginCall from "../plugin-call.ts";
import scheduler from "../scheduler.ts";
import shellFanout from "../shell-fanout.ts";
import startup from "../startup.ts";
import type { Benchmark } from "./report.ts";

export const benchmarks: readonly Benchmark[] = [
  pluginCall,
  hostApi,
  codec,
  startup,
  scheduler,
  docker,
  pack,
  logThroughput,
  bigTree,
  shellFanout,
];
