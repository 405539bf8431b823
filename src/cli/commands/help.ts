/**
 * `hm help [COMMAND…]`: the same text as `hm [COMMAND…] --help`. The CLI
 * frame (run-cli.ts) reads the word itself, so this entry only names the
 * command (keeping plugins from claiming it) and describes it.
 */
import { defineHmCommand } from "../command.ts";

export default defineHmCommand({
  meta: { name: "help", description: "Show help for hm or a command (as --help does)", hidden: true },
  args: {
    command: { type: "positional", description: "The command to describe", required: false },
  },
});
