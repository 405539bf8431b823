/**
 * Shell completion, computed by hm itself: the scripts `hm completions`
 * prints call `hm __complete <words…>` (the words after `hm`, the last being
 * the one under the cursor), which walks the same command tree the CLI runs
 * (built-ins and plugin verbs) and prints one candidate per line, as
 * `value<TAB>description`, or `:dirs` / `:files` to let the shell complete
 * directories or files.
 */
import type { ArgsDef } from "citty";
import { TEMPLATES } from "../init/templates.ts";
import type { AnyCommand } from "./run-cli.ts";

export const DIRECTORIES = ":dirs";
export const FILES = ":files";
const SHELLS = ["bash", "zsh", "fish"];

export interface Candidate {
  value: string;
  description?: string;
}

export interface CompletionSources {
  root: AnyCommand;
  pluginCommands(): Record<string, AnyCommand>;
  pipelineSlugs(dir: string | undefined): Promise<string[]>;
  runnerNames(dir: string | undefined): string[];
  pluginNames(dir: string | undefined): string[];
}

async function resolved<T>(
  value: T | Promise<T> | (() => T) | (() => Promise<T>) | undefined,
): Promise<T | undefined> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

type Option = { name: string; alias: string[]; takesValue: boolean; description?: string };

async function optionsOf(command: AnyCommand): Promise<Option[]> {
  const args = ((await resolved(command.args)) ?? {}) as ArgsDef;
  const options: Option[] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const given = "alias" in def ? def.alias : undefined;
    const alias = given === undefined ? [] : Array.isArray(given) ? given : [given];
    options.push({
      name,
      alias,
      takesValue: def.type === "string" || def.type === "enum",
      description: def.description,
    });
  }
  return options;
}

const GLOBAL_OPTIONS: Option[] = [
  { name: "help", alias: ["h"], takesValue: false, description: "Show help" },
  { name: "verbose", alias: ["v"], takesValue: false, description: "Debug logging on stderr" },
  { name: "no-color", alias: [], takesValue: false, description: "No colours" },
];

function optionNamed(options: Option[], token: string): Option | undefined {
  const bare = token.replace(/^--?/, "").split("=")[0];
  return options.find((o) => o.name === bare || o.alias.includes(bare ?? ""));
}

/** Candidates for the last word of `words` (the words after `hm`). */
export async function complete(words: string[], sources: CompletionSources): Promise<Candidate[]> {
  // bash splits `--runner=sh` into `--runner`, `=`, `sh`: the `=` only joins an option to its value.
  const last = words[words.length - 1] ?? "";
  const current = last === "=" ? "" : last;
  const before = words.slice(0, -1).filter((word, i, all) => !(word === "=" && all[i - 1]?.startsWith("-")));
  const path: string[] = [];
  let command = sources.root;
  let dir: string | undefined;
  const positionals: string[] = [];
  let pendingValue: Option | undefined;
  for (const word of before) {
    const options = [...(await optionsOf(command)), ...GLOBAL_OPTIONS];
    if (pendingValue !== undefined) {
      if (pendingValue.name === "dir") dir = word;
      pendingValue = undefined;
      continue;
    }
    if (word.startsWith("-")) {
      const option = optionNamed(options, word);
      if (option?.takesValue && !word.includes("=")) pendingValue = option;
      if (option?.name === "dir" && word.includes("=")) dir = word.slice(word.indexOf("=") + 1);
      continue;
    }
    const subs = (await resolved(command.subCommands)) ?? {};
    const sub = subs[word] ?? (path.length === 0 ? sources.pluginCommands()[word] : undefined);
    if (sub !== undefined && positionals.length === 0) {
      command = (await resolved(sub)) as AnyCommand;
      path.push(word);
    } else positionals.push(word);
  }

  const matching = (c: Candidate) =>
    c.value.startsWith(current) || c.value === DIRECTORIES || c.value === FILES;
  if (pendingValue !== undefined) return valuesOf(path, pendingValue.name, dir, sources).filter(matching);
  const options = [...(await optionsOf(command)), ...GLOBAL_OPTIONS];
  if (current.startsWith("-")) {
    return options
      .flatMap((o) =>
        [`--${o.name}`, ...o.alias.map((a) => (a.length === 1 ? `-${a}` : `--${a}`))].map((value) => ({
          value,
          description: o.description,
        })),
      )
      .filter((c) => c.value.startsWith(current));
  }
  const subs = (await resolved(command.subCommands)) ?? {};
  const names =
    Object.keys(subs).length > 0 || path.length === 0
      ? await subcommandCandidates(subs, path.length === 0 ? sources.pluginCommands() : {})
      : await positionalValues(path, positionals.length, dir, sources);
  return names.filter(matching);
}

async function subcommandCandidates(
  subs: Record<string, unknown>,
  plugins: Record<string, AnyCommand>,
): Promise<Candidate[]> {
  const all = { ...plugins, ...subs };
  const out: Candidate[] = [];
  for (const [value, sub] of Object.entries(all)) {
    const meta = (await resolved(((await resolved(sub as AnyCommand)) as AnyCommand).meta)) ?? {};
    if (!meta.hidden) out.push({ value, description: meta.description });
  }
  return out.sort((a, b) => a.value.localeCompare(b.value));
}

function valuesOf(
  path: string[],
  option: string,
  dir: string | undefined,
  sources: CompletionSources,
): Candidate[] {
  if (option === "dir") return [{ value: DIRECTORIES }];
  if (option === "runner") return sources.runnerNames(dir).map((value) => ({ value }));
  if (option === "format") return [{ value: "human" }, { value: "json" }];
  if (option === "template" && path[0] === "init")
    return TEMPLATES.map((t) => ({ value: t.name, description: t.label }));
  return [];
}

async function positionalValues(
  path: string[],
  index: number,
  dir: string | undefined,
  sources: CompletionSources,
): Promise<Candidate[]> {
  const command = path.join(" ");
  if ((command === "run" || command === "render") && index === 0)
    return (await sources.pipelineSlugs(dir)).map((value) => ({ value }));
  if ((command === "plugin info" || command === "plugin remove") && index === 0)
    return sources.pluginNames(dir).map((value) => ({ value }));
  if (command === "completions" && index === 0) return SHELLS.map((value) => ({ value }));
  if (command === "cache save" || command === "cache restore") return [{ value: DIRECTORIES }];
  if (command === "plugin install") return [{ value: FILES }];
  return [];
}
