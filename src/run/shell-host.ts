/**
 * What running steps on the host (the `shell` runner) means, said before
 * anything starts: steps a toolchain helper made to install software
 * system-wide stop the run unless `--allow-host-install` is given, and steps
 * that set an image or a cache policy hear once that the runner ignores them.
 */
import { HmError } from "../errors.ts";
import { madeToInstall } from "../pipeline/sdk/host-installers.ts";
import { DEFAULT_IMAGE } from "../pipeline/sdk/lower.ts";
import type { GraphIR } from "../protocol/ir.ts";
import type { RunnerChoice } from "./runners.ts";

/** The runner that runs steps on this machine. */
const HOST_RUNNER = "shell";

type Node = GraphIR["graph"]["nodes"][number];

function onHost(graph: GraphIR, choices: readonly RunnerChoice[]): Node[] {
  return graph.graph.nodes.filter((_, i) => choices[i]?.runner === HOST_RUNNER);
}

function named(node: Node): string {
  const { key, label } = node.step;
  return label === undefined || label === key ? key : `${label} (${key})`;
}

/** Throws (exit 2) when steps made to install software would run on the host without `--allow-host-install`. */
export function checkHostInstalls(graph: GraphIR, choices: readonly RunnerChoice[], allowed: boolean): void {
  if (allowed) return;
  const installers = onHost(graph, choices).filter(({ step }) => madeToInstall(step.key, step.cmd));
  if (installers.length === 0) return;
  const list = installers.map(named).join(", ");
  throw new HmError(
    "E_USAGE",
    `${installers.length === 1 ? "a step installs" : `${installers.length} steps install`} software on this machine with the ${HOST_RUNNER} runner: ${list}`,
    {
      hint:
        "toolchain helpers install system packages and runtimes (apt-get, /usr/local, ~/.cargo); " +
        "pass --allow-host-install to let them, use installed: true on the toolchain to use what this machine has, " +
        "or run these steps on docker",
    },
  );
}

/**
 * One line naming the host steps whose image or cache policy the shell runner
 * does not use, or null. The image lowering gives every imageless root step
 * (`ubuntu:24.04`) is not one the user set, so it is not named.
 */
export function ignoredOnHost(graph: GraphIR, choices: readonly RunnerChoice[]): string | null {
  const nodes = onHost(graph, choices);
  const withImage = nodes.filter(({ step }) => step.image !== undefined && step.image !== DEFAULT_IMAGE);
  const withCache = nodes.filter(({ step }) => step.cache !== undefined && step.cache.policy !== "none");
  const parts: string[] = [];
  if (withImage.length > 0) parts.push(`image on ${withImage.map(named).join(", ")}`);
  if (withCache.length > 0) parts.push(`cache on ${withCache.map(named).join(", ")}`);
  if (parts.length === 0) return null;
  return `the ${HOST_RUNNER} runner runs steps on this machine and ignores ${parts.join("; ")}`;
}
