/**
 * Silences one Node deprecation warning, DEP0169 (`url.parse()`), and no
 * other. docker-modem, under dockerode, calls `url.parse()` on every request
 * to a `tcp://` DOCKER_HOST; the warning names a call hm does not make and
 * cannot change, and printed on every command it buries hm's own output.
 * Every other warning, deprecations included, still prints.
 */

const SILENCED = "DEP0169";

type EmitWarning = (warning: string | Error, ...rest: unknown[]) => void;

/** The code of a warning, however `process.emitWarning` was called. */
function codeOf(warning: string | Error, rest: readonly unknown[]): unknown {
  if (warning instanceof Error && "code" in warning) return warning.code;
  const [typeOrOptions, code] = rest;
  if (typeof typeOrOptions === "object" && typeOrOptions !== null && "code" in typeOrOptions)
    return typeOrOptions.code;
  return code;
}

let installed = false;

/** Installs the filter once per process. */
export function silenceUrlParseDeprecation(): void {
  if (installed) return;
  installed = true;
  const emit = process.emitWarning.bind(process) as EmitWarning;
  const filtered: EmitWarning = (warning, ...rest) => {
    if (codeOf(warning, rest) !== SILENCED) emit(warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
}
