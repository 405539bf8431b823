import { HmError } from "../../errors.ts";
import { defineHmCommand } from "../command.ts";
import { writeStdout } from "../output.ts";

/** Each script asks `hm __complete` for the candidates, so plugin verbs and pipeline slugs stay current. */
const SCRIPTS: Record<string, string> = {
  bash: `# hm completion for bash: eval "$(hm completions bash)" in ~/.bashrc
# Candidates are matched and quoted here (printf %q), never given to compgen -W,
# which would expand $(…) or quotes in a pipeline slug or plugin name.
_hm_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} out line
  [[ $cur == "=" ]] && cur=""
  out=$(command hm __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  COMPREPLY=()
  case $out in
    :dirs) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    :files) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    *)
      while IFS= read -r line; do
        line=\${line%%$'\t'*}
        [[ -n $line && $line == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$line")")
      done <<<"$out" ;;
  esac
}
complete -o default -F _hm_complete hm
`,
  zsh: `#compdef hm
# hm completion for zsh: eval "$(hm completions zsh)" in ~/.zshrc (after compinit)
_hm() {
  local out
  out=$(command hm __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  case $out in
    :dirs) _files -/ ;;
    :files) _files ;;
    *)
      local -a candidates
      local line
      for line in "\${(@f)out}"; do
        candidates+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
      done
      _describe 'hm' candidates ;;
  esac
}
compdef _hm hm
`,
  fish: `# hm completion for fish: hm completions fish > ~/.config/fish/completions/hm.fish
function __hm_complete
    set -l words (commandline -opc) (commandline -ct)
    set -e words[1]
    set -l out (command hm __complete $words 2>/dev/null)
    switch "$out"
        case :dirs
            __fish_complete_directories (commandline -ct)
        case :files
            __fish_complete_path (commandline -ct)
        case '*'
            printf '%s\\n' $out
    end
end
complete -c hm -f -a '(__hm_complete)'
`,
};

/** The shells there is a script for, in the order the help and errors list them. */
export const SHELLS: readonly string[] = Object.keys(SCRIPTS);

export const completions = defineHmCommand({
  meta: { name: "completions", description: "Print a shell completion script (bash, zsh or fish)" },
  args: { shell: { type: "positional", description: "bash, zsh or fish", required: true } },
  async run({ args }) {
    const script = SCRIPTS[args.shell];
    if (script === undefined) {
      throw new HmError("E_USAGE", `no completion script for shell '${args.shell}'`, {
        hint: `available: ${SHELLS.join(", ")}`,
      });
    }
    await writeStdout(script);
    return 0;
  },
});

export default completions;
