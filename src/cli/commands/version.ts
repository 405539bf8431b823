import { HM_PLUGIN_ABI_VERSION, HM_PLUGIN_API_VERSION, HM_VERSION } from "../../version.ts";
import { defineHmCommand } from "../command.ts";
import { writeStdout } from "../output.ts";
import { pluginRegistry } from "../plugin-registry.ts";

export default defineHmCommand({
  meta: { name: "version", description: "Print hm's version, its plugin ABI and protocol versions" },
  args: {},
  async run({ data }) {
    const registry = pluginRegistry(data.log);
    const broken = registry.broken.length > 0 ? ` (${registry.broken.length} broken: hm plugin list)` : "";
    await writeStdout(
      `hm ${HM_VERSION}\nplugin ABI ${HM_PLUGIN_ABI_VERSION}, protocol ${HM_PLUGIN_API_VERSION}\nplugins loaded: ${registry.plugins.length}${broken}\n`,
    );
    return 0;
  },
});
