/**
 * Static checks on a decoded manifest (`docs/plugin-abi.md`, `PluginManifest::validate`):
 * things the wire format allows but a host cannot load. Cross-plugin
 * conflicts are the registry's job.
 */
import {
  type Capability,
  HM_PLUGIN_API_MIN_VERSION,
  HM_PLUGIN_API_VERSION,
  type PluginManifest,
  STEP_LOGS_API_VERSION,
  type SubcommandSpec,
} from "./manifest.ts";

/** Rust's `char::is_whitespace` (Unicode White_Space), which JS `\s` misses by U+0085 and overshoots by U+FEFF. */
const WHITESPACE = /[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
/** Whitespace, control characters and path separators: a name is also a file name. */
const BAD_NAME_CHAR = /[\s\u0085\p{Cc}/\\]/u;

const isWord = (s: string) => s !== "" && !WHITESPACE.test(s);

/**
 * The first rule `m` breaks, as the message to show, or null if it may be
 * loaded. Order: name, API version, capabilities present, then each
 * capability in declaration order (runner names; verbs, then duplicate verbs).
 *
 * Plugins are written in C against hm_plugin.h, so a message names the field
 * as its author wrote it (`capabilities[0].as.step_executor.runner` in the
 * `hm_manifest`), not by the wire type, and says what to set.
 */
export function validateManifest(m: PluginManifest, hostApiVersion = HM_PLUGIN_API_VERSION): string | null {
  const name = m.name;
  if (name === "" || name === "." || name === ".." || BAD_NAME_CHAR.test(name)) {
    return `plugin name '${name}' is not a valid name (it must be non-empty, without whitespace, control characters or path separators, and not '.' or '..'): set the hm_manifest's .name to one such word, e.g. .name = "my-plugin"`;
  }
  if (m.api_version < HM_PLUGIN_API_MIN_VERSION || m.api_version > hostApiVersion) {
    return `plugin '${name}': API version mismatch (plugin=${m.api_version}, host=${HM_PLUGIN_API_MIN_VERSION}..${hostApiVersion}): leave the hm_manifest's .api_version at 0 (the SDK then sends the lowest version that covers the manifest) and rebuild the plugin with the hm_plugin.h of this hm, whose HM_PROTOCOL_VERSION is ${hostApiVersion}`;
  }
  if (m.capabilities.length === 0) {
    return `plugin '${name}': declared no capabilities: point the hm_manifest's .capabilities at an array of hm_capability and set .capability_count = sizeof capabilities / sizeof capabilities[0]`;
  }
  const verbs = new Set<string>();
  for (const [i, cap] of m.capabilities.entries()) {
    const field = `capabilities[${i}].as.${cap.kind}`;
    if (cap.kind === "step_executor" && !isWord(cap.runner)) {
      return `plugin '${name}': ${field}.runner '${cap.runner}' is empty or contains whitespace: set it to one word, the name pipelines give as runner, e.g. .runner = "echo"`;
    }
    if (cap.kind === "lifecycle_hook") {
      const problem = stepLogsProblem(cap, m.api_version, field);
      if (problem !== null) return `plugin '${name}': ${problem}`;
    }
    if (cap.kind === "subcommand") {
      const problem = verbProblem(cap, [], field);
      if (problem !== null) return `plugin '${name}': ${problem}`;
      if (verbs.has(cap.verb)) {
        return `plugin '${name}': declared the same subcommand verb twice ('${cap.verb}', again at ${field}.verb): give each top-level subcommand its own .verb, or merge them`;
      }
      verbs.add(cap.verb);
    }
  }
  return null;
}

/** A `step_logs` subscription (protocol 3) this manifest cannot have. */
function stepLogsProblem(
  hook: Extract<Capability, { kind: "lifecycle_hook" }>,
  apiVersion: number,
  field: string,
): string | null {
  if (!hook.events.includes("step_logs")) return null;
  if (apiVersion < STEP_LOGS_API_VERSION)
    return `${field}.events lists HM_HOOK_STEP_LOGS, which needs protocol ${STEP_LOGS_API_VERSION}, but the manifest says api_version ${apiVersion}: leave the hm_manifest's .api_version at 0 and rebuild with the hm_plugin.h of this hm`;
  if (hook.phase === "before")
    return `${field} takes HM_HOOK_STEP_LOGS in the before phase, where hm offers only HM_HOOK_STEP_LOG (a batch cannot hold lines back one by one): set .phase = HM_HOOK_AFTER, or take HM_HOOK_STEP_LOG`;
  if (hook.events.includes("step_log"))
    return `${field}.events lists both HM_HOOK_STEP_LOG and HM_HOOK_STEP_LOGS, so every line would come twice: keep one (HM_HOOK_STEP_LOGS takes many lines per call)`;
  return null;
}

/**
 * A verb that is not one word, or a verb repeated among the nested
 * subcommands of one parent. `field` is the spec's place in the C manifest.
 */
function verbProblem(spec: SubcommandSpec, parents: readonly string[], field: string): string | null {
  const path = [...parents, spec.verb];
  if (!isWord(spec.verb)) {
    const where = parents.length === 0 ? "" : ` (under '${parents.join(" ")}')`;
    return `subcommand verb '${spec.verb}'${where} at ${field}.verb is empty or contains whitespace: set it to one word, the one typed after hm, e.g. .verb = "deploy"`;
  }
  const seen = new Set<string>();
  for (const [j, sub] of spec.subcommands.entries()) {
    const subField = `${field}.subcommands[${j}]`;
    if (seen.has(sub.verb)) {
      return `declared the same subcommand verb twice ('${[...path, sub.verb].join(" ")}', again at ${subField}.verb): give each subcommand of '${path.join(" ")}' its own .verb`;
    }
    seen.add(sub.verb);
    const problem = verbProblem(sub, path, subField);
    if (problem !== null) return problem;
  }
  return null;
}
