/**
 * Shell completion, computed by hm itself: the scripts `hm completions`
 * prints call `hm __complete <words…>` (the words after `hm`, the last being
 * the one under the cursor), which walks the same command tree the CLI runs
 * (built-ins and plugin verbs) and prints one candidate per line, as
 * `value<TAB>description`, or `:dirs` / `:files` to let the shell complete
 * directories or files.
 */
import { TEMPLATES } from "../init/templates.ts";
import {
  type AnyCommand,
  argsOf,
  type CommandArgs,
  commandArgs,
  type OptionInfo,
  resolveValue,
  subCommandsOf,
  visibleSubCommands,
} from "./command-args.ts";
import { SHELLS } from "./commands/completions.ts";

const DIRECTORIES = ":dirs";
const FILES = ":files";

interface Candidate {
  value: string;
  description?: string;
}

interface CompletionSources {
  root: AnyCommand;
  pluginCommands(): Record<string, AnyCommand>;
  pipelineSlugs(dir: string | undefined): Promise<string[]>;
  /** The step keys of a pipeline (the only one when `slug` is undefined), each described by its name. */
  stepKeys(dir: string | undefined, slug: string | undefined): Promise<Candidate[]>;
  runnerNames(dir: string | undefined): string[];
  pluginNames(dir: string | undefined): string[];
}

/** Flags the CLI frame takes after any command (run-cli.ts). */
const GLOBAL_ARGS = commandArgs({
  help: { type: "boolean", alias: "h", description: "Show help" },
  verbose: { type: "boolean", alias: "v", description: "Debug logging on stderr" },
  "no-color": { type: "boolean", description: "No colours" },
});

/** `positionals`: the command's positional words before the cursor (`hm run ci --only …`: `["ci"]`). */
type Values = (
  dir: string | undefined,
  sources: CompletionSources,
  positionals: readonly string[],
) => Candidate[] | Promise<Candidate[]>;
const plain = (values: readonly string[]): Candidate[] => values.map((value) => ({ value }));

/**
 * What the built-in commands' arguments hold, by the name their definitions
 * give them; an enum without an entry offers its choices. A plugin verb's
 * argument names mean what its plugin says, so they get nothing from here.
 */
const VALUES_OF: Readonly<Record<string, Values>> = {
  dir: () => [{ value: DIRECTORIES }],
  runner: (dir, sources) => plain(sources.runnerNames(dir)),
  template: () => TEMPLATES.map((t) => ({ value: t.name, description: t.label })),
  pipeline: async (dir, sources) => plain(await sources.pipelineSlugs(dir)),
  slug: async (dir, sources) => plain(await sources.pipelineSlugs(dir)),
  name: (dir, sources) => plain(sources.pluginNames(dir)),
  shell: () => plain(SHELLS),
  cacheDir: () => [{ value: DIRECTORIES }],
  source: () => [{ value: FILES }],
  only: (dir, sources, positionals) => sources.stepKeys(dir, positionals[0]),
};

function optionNamed(args: CommandArgs, token: string): OptionInfo | undefined {
  const bare = token.replace(/^--?/, "").split("=")[0] ?? "";
  return args.option(bare) ?? GLOBAL_ARGS.option(bare);
}

/** Candidates for the last word of `words` (the words after `hm`). */
export async function complete(words: string[], sources: CompletionSources): Promise<Candidate[]> {
  // bash splits `--runner=sh` into `--runner`, `=`, `sh`: the `=` only joins an option to its value.
  const last = words[words.length - 1] ?? "";
  const current = last === "=" ? "" : last;
  const before = words.slice(0, -1).filter((word, i, all) => !(word === "=" && all[i - 1]?.startsWith("-")));
  let command = sources.root;
  let depth = 0;
  let builtin = true;
  let dir: string | undefined;
  const positionals: string[] = [];
  let pendingValue: OptionInfo | undefined;
  for (const word of before) {
    const args = await argsOf(command);
    if (pendingValue !== undefined) {
      if (pendingValue.name === "dir") dir = word;
      pendingValue = undefined;
      continue;
    }
    if (word.startsWith("-")) {
      const option = optionNamed(args, word);
      if (option?.takesValue && !word.includes("=")) pendingValue = option;
      if (option?.name === "dir" && word.includes("=")) dir = word.slice(word.indexOf("=") + 1);
      continue;
    }
    const subs = await subCommandsOf(command);
    const plugin = depth === 0 && subs[word] === undefined ? sources.pluginCommands()[word] : undefined;
    const sub = subs[word] ?? plugin;
    if (sub !== undefined && positionals.length === 0) {
      command = await resolveValue(sub);
      depth++;
      if (plugin !== undefined) builtin = false;
    } else positionals.push(word);
  }

  const matching = (c: Candidate) =>
    c.value.startsWith(current) || c.value === DIRECTORIES || c.value === FILES;
  const args = await argsOf(command);
  if (pendingValue !== undefined)
    return (await valuesOf(pendingValue, builtin, dir, sources, positionals)).filter(matching);
  if (current.startsWith("-")) {
    return [...args.options, ...GLOBAL_ARGS.options]
      .flatMap((o) =>
        [`--${o.name}`, ...o.aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`))].map((value) => ({
          value,
          description: o.description,
        })),
      )
      .filter((c) => c.value.startsWith(current));
  }
  const subs = await subCommandsOf(command);
  if (Object.keys(subs).length > 0 || depth === 0) {
    const all = depth === 0 ? { ...sources.pluginCommands(), ...subs } : subs;
    const listed = await visibleSubCommands(all);
    return listed.map((c) => ({ value: c.name, description: c.description })).filter(matching);
  }
  const positional = args.positionals[positionals.length];
  const values = builtin && positional !== undefined ? VALUES_OF[positional.name] : undefined;
  return values === undefined ? [] : (await values(dir, sources, positionals)).filter(matching);
}

async function valuesOf(
  option: OptionInfo,
  builtin: boolean,
  dir: string | undefined,
  sources: CompletionSources,
  positionals: readonly string[],
): Promise<Candidate[]> {
  const values = builtin ? VALUES_OF[option.name] : undefined;
  if (values !== undefined) return values(dir, sources, positionals);
  return plain(option.choices ?? []);
}
