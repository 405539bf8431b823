/**
 * The configuration a command runs with: the layers of load.ts for its
 * project, the hidden global `--api-url` on top, and the warnings printed
 * once through the command's logger.
 */
import type { Project } from "../../pipeline/project.ts";
import type { HmCommandData } from "../command.ts";
import { type LoadedConfig, loadConfig } from "./load.ts";

export function commandConfig(project: Project, data: HmCommandData): LoadedConfig {
  const loaded = loadConfig({
    projectRoot: project.root,
    overrides:
      data.apiUrl === undefined ? [] : [{ key: "cloud.api_url", value: data.apiUrl, origin: "--api-url" }],
  });
  for (const warning of loaded.warnings) data.log.warn(warning);
  return loaded;
}
