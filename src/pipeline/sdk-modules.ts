/**
 * Serves the embedded SDK to pipeline files as virtual modules, so
 * `import { sh } from "@harmont/hm"` works with no node_modules in the
 * project, under `bun run` and in the compiled binary alike. Virtual modules
 * win over any node_modules copy of the SDK the project may hold.
 */
import { plugin } from "bun";
import * as sdk from "./sdk/index.ts";
import * as toolchains from "./sdk/toolchains/index.ts";

export const SDK_MODULE_NAMES = ["@harmont/hm", "harmont", "hm"] as const;
export const TOOLCHAIN_MODULE_NAMES = [
  "@harmont/hm/toolchains",
  "harmont/toolchains",
  "hm/toolchains",
] as const;

let registered = false;

export function registerSdkModules(): void {
  if (registered) return;
  registered = true;
  plugin({
    name: "hm-embedded-sdk",
    setup(build) {
      for (const name of SDK_MODULE_NAMES) {
        build.module(name, () => ({ exports: { ...sdk, default: sdk }, loader: "object" }));
      }
      for (const name of TOOLCHAIN_MODULE_NAMES) {
        build.module(name, () => ({ exports: { ...toolchains, default: toolchains }, loader: "object" }));
      }
    },
  });
}
