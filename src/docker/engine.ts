/**
 * The Docker engine connection. dockerode is imported here, lazily: it costs
 * tens of milliseconds at start-up (`docs/design.md`, "Bun facts hm is built on"), and only `hm run` with the
 * docker runner, `hm gc` and `hm cache` need it. `DOCKER_HOST` (unix:// or
 * tcp://) is honoured through docker-modem.
 */
import type Dockerode from "dockerode";
import { HmError, messageOf } from "../errors.ts";

export type Engine = Dockerode;

/** Where the engine is expected, as the user would recognise it. */
export function engineAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST && env.DOCKER_HOST !== "" ? env.DOCKER_HOST : "unix:///var/run/docker.sock";
}

/** A connected engine (pinged), or exit 4 naming the address. */
export async function connectEngine(): Promise<Engine> {
  const { default: Docker } = await import("dockerode");
  const engine = new Docker();
  try {
    await engine.ping();
  } catch (error) {
    throw new HmError(
      "E_DOCKER_UNREACHABLE",
      `docker engine unreachable at ${engineAddress()}: ${messageOf(error)}`,
      {
        hint: "start Docker (or point DOCKER_HOST at a running engine), or run the steps here with --runner shell",
      },
    );
  }
  return engine;
}
