/**
 * Shell text for the commands that fetch a toolchain. Steps run under
 * `sh -c`, which is dash on Debian and Ubuntu: it has no `pipefail`, so
 * `curl … | bash` takes bash's status and succeeds when curl is missing or
 * the network is down (bash runs an empty script). hm downloads to a file and
 * runs it only after curl succeeded; the reference SDK pipes (README: the
 * deliberate differences).
 */

interface DownloadedScript {
  readonly url: string;
  /** Where the script is saved, e.g. `/tmp/bun-install.sh`. */
  readonly file: string;
  /** curl's options; `-fsSL` (fail on HTTP errors, follow redirects) unless given. */
  readonly curl?: string;
  /** How the saved script runs, given its path: `(f) => \`bash ${f}\``. */
  readonly run: (file: string) => string;
}

/** `curl <url> -o <file> && <run file>`: the script runs only once it is whole. */
export function fetchThenRun({ url, file, curl = "-fsSL", run }: DownloadedScript): string {
  return `curl ${curl} ${url} -o ${file} && ${run(file)}`;
}

/** How one vendor names the two architectures it builds for. */
interface ArchNames {
  readonly x86_64: string;
  readonly aarch64: string;
}

/**
 * A `case` on `uname -m` that sets `$variable` to the vendor's name for this
 * machine's architecture, or fails the step naming the architecture. Chosen
 * when the step runs, so one pipeline serves amd64 and arm64 machines and images.
 */
export function archCase(tool: string, variable: string, names: ArchNames): string {
  return [
    `case "$(uname -m)" in`,
    `x86_64|amd64) ${variable}=${names.x86_64} ;;`,
    `aarch64|arm64) ${variable}=${names.aarch64} ;;`,
    `*) echo "hm: ${tool}: no build for architecture $(uname -m) (x86_64 and aarch64 are supported)" >&2; exit 1 ;;`,
    "esac",
  ].join(" ");
}
