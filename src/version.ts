/** Versions hm reports and checks (`docs/design.md`, "Versions"). */
import pkg from "../package.json" with { type: "json" };

export const HM_VERSION: string = pkg.version;
/** The C calling convention of native plugins (symbols, host table layout, method numbers). */
export const HM_PLUGIN_ABI_VERSION = 1;
/** The borsh wire protocol of plugin messages (`docs/plugin-abi.md`); defined with the codecs. */
export { HM_PLUGIN_API_VERSION } from "./protocol/index.ts";
