/** The shape of an hm command: a citty command whose `run` returns the exit code. */
import type { ArgsDef, CommandContext, CommandDef } from "citty";
import type { Logger } from "../log.ts";

/** What the CLI frame hands every command (citty's `data`). */
export interface HmCommandData {
  /** The logger made for this invocation (`-v`); pass it to what logs. */
  readonly log: Logger;
  /** The hidden global `--api-url URL` (the reference's; sets `cloud.api_url`). */
  readonly apiUrl?: string;
}

type HmCommandContext<A extends ArgsDef> = CommandContext<A> & { data: HmCommandData };

export type HmCommand<A extends ArgsDef = ArgsDef> = CommandDef<A> & {
  run?: (context: HmCommandContext<A>) => Promise<number | undefined> | number | undefined;
};

export function defineHmCommand<const A extends ArgsDef>(def: HmCommand<A>): HmCommand<A> {
  return def;
}

/** Arguments several commands share. */
export const dirArg = {
  dir: {
    type: "string",
    alias: "d",
    valueHint: "DIR",
    description: "Project directory (default: nearest with .hm/)",
  },
} as const;
