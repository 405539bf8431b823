import { HM_PLUGIN_ABI_VERSION, HM_PLUGIN_API_VERSION, HM_VERSION } from "../../version.ts";
import { defineHmCommand } from "../command.ts";
import { writeStdout } from "../output.ts";

export default defineHmCommand({
  meta: { name: "version", description: "Print hm's version, its plugin ABI and protocol versions" },
  args: {},
  async run() {
    // Plugins arrive with the native plugin runtime; until then none can be loaded.
    const pluginsLoaded = 0;
    await writeStdout(
      `hm ${HM_VERSION}\nplugin ABI ${HM_PLUGIN_ABI_VERSION}, protocol ${HM_PLUGIN_API_VERSION}\nplugins loaded: ${pluginsLoaded}\n`,
    );
    return 0;
  },
});
