/**
 * hm's logger: a consola instance (its core: no stdout/tty imports, so it
 * is free at start-up) that the CLI layer creates once it knows `-v`
 * (`createLogger`) and hands to whatever logs. Its reporter writes
 * everything to stderr, because stdout carries data (`hm render`,
 * `hm pipelines`, `hm run`'s output); while a live view owns the terminal
 * stderr is on, lines go through the view instead (`routeLines`). A plugin's records go through
 * `logger.withTag(plugin)`, printed as `[plugin] message`. Tests pass their
 * own reporters.
 */
import {
  type ConsolaInstance,
  type ConsolaReporter,
  createConsola,
  type LogLevel,
  LogLevels,
  type LogObject,
} from "consola/core";
import { paintFor } from "./term.ts";

export type Logger = ConsolaInstance;

/** Takes one line of text, without its newline. */
type LineSink = (line: string) => void;

function format(obj: LogObject): string {
  const paint = paintFor(2);
  const words = obj.args
    .map((a) => (typeof a === "string" ? a : a instanceof Error ? a.message : Bun.inspect(a)))
    .join(" ");
  const text = obj.tag === "" ? words : `[${obj.tag}] ${words}`;
  switch (obj.type) {
    case "warn":
      return `${paint.yellow("!")} ${text}`;
    case "error":
    case "fatal":
      return `${paint.red("✘")} ${text}`;
    case "success":
      return `${paint.green("✔")} ${text}`;
    case "debug":
    case "trace":
      return paint.dim(`· ${text}`);
    default:
      return `${paint.cyan("▶")} ${text}`;
  }
}

/** hm's reporter: one formatted line per record, to stderr or through the live view that owns it. */
class StderrReporter implements ConsolaReporter {
  view: LineSink | null = null;

  log(obj: LogObject): void {
    const line = format(obj);
    if (this.view !== null) this.view(line);
    else process.stderr.write(`${line}\n`);
  }
}

interface LoggerOptions {
  /** `-v/--verbose`: debug records too. */
  readonly verbose: boolean;
  /** Where records go (tests); by default formatted lines on stderr. */
  readonly reporters?: readonly ConsolaReporter[];
}

/** `CONSOLA_LEVEL` (a number, as consola reads it) overrides `-v`. */
function levelOf(verbose: boolean): LogLevel {
  const fromEnv = Number(process.env.CONSOLA_LEVEL ?? Number.NaN);
  if (Number.isFinite(fromEnv)) return fromEnv;
  return verbose ? LogLevels.debug : LogLevels.info;
}

export function createLogger(options: LoggerOptions): Logger {
  return createConsola({
    level: levelOf(options.verbose),
    reporters: [...(options.reporters ?? [new StderrReporter()])],
  });
}

/** A logger that drops every record (tests, and code run outside a command). */
export function silentLogger(): Logger {
  return createConsola({ level: LogLevels.silent, reporters: [] });
}

/** The live view `logger`'s lines (and its tagged loggers') go through, if any. */
function viewOf(logger: Logger): LineSink | null {
  for (const reporter of logger.options.reporters)
    if (reporter instanceof StderrReporter && reporter.view !== null) return reporter.view;
  return null;
}

/**
 * While a live view owns the terminal stderr is on (`hm run`'s progress view), `logger`'s
 * lines and those of loggers made from it go through `view`, so they land
 * above the view instead of through it; null restores stderr.
 */
export function routeLines(logger: Logger, view: LineSink | null): void {
  for (const reporter of logger.options.reporters)
    if (reporter instanceof StderrReporter) reporter.view = view;
}

/**
 * Where the raw text a plugin writes (`write_stdout`/`write_stderr`) goes
 * during a run: stderr, since stdout carries the run's output (JSON events or human lines); line by line
 * through the live view while `logger`'s lines go through one. One per call:
 * each stream keeps its own partial line (so the two are never glued
 * together), and `flush` writes what is left when the call ends.
 */
export function pluginTextWriter(logger: Logger): {
  write: (fd: 1 | 2, bytes: Uint8Array) => void;
  flush: () => void;
} {
  const streams = new Map<1 | 2, { decoder: TextDecoder; partial: string }>();
  return {
    write(fd, bytes) {
      const view = viewOf(logger);
      if (view === null) {
        process.stderr.write(bytes);
        return;
      }
      const stream = streams.get(fd) ?? { decoder: new TextDecoder(), partial: "" };
      streams.set(fd, stream);
      const lines = (stream.partial + stream.decoder.decode(bytes, { stream: true })).split("\n");
      stream.partial = lines.pop() ?? "";
      for (const line of lines) view(line);
    },
    flush() {
      for (const stream of streams.values()) {
        const rest = stream.partial + stream.decoder.decode();
        stream.partial = "";
        if (rest !== "") (viewOf(logger) ?? ((line: string) => process.stderr.write(`${line}\n`)))(rest);
      }
    },
  };
}
