/** The shape of an hm command: a citty command whose `run` returns the exit code. */
import type { ArgsDef, CommandContext, CommandDef } from "citty";

export type HmCommand<A extends ArgsDef = ArgsDef> = CommandDef<A> & {
  run?: (context: CommandContext<A>) => Promise<number | undefined> | number | undefined;
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
