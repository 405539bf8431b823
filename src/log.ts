/**
 * hm's logger: consola's core (no stdout/tty imports, so it is free at
 * start-up) with one reporter that writes everything to stderr, because
 * stdout carries data (`hm render`, `hm pipelines`, `--format json`).
 */
import { type ConsolaInstance, createConsola, type LogObject } from "consola/core";
import { paintFor } from "./term.ts";

let instance: ConsolaInstance | undefined;
let level = 3; // info

/** `-v/--verbose` raises the level to debug. */
export function setVerbose(verbose: boolean): void {
  level = verbose ? 4 : 3;
  if (instance) instance.level = level;
}

function format(obj: LogObject): string {
  const paint = paintFor(2);
  const text = obj.args
    .map((a) => (typeof a === "string" ? a : a instanceof Error ? a.message : Bun.inspect(a)))
    .join(" ");
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

export function log(): ConsolaInstance {
  instance ??= createConsola({
    level: Number(process.env.CONSOLA_LEVEL ?? level),
    reporters: [
      { log: (obj) => (lineSink ? lineSink(format(obj)) : process.stderr.write(`${format(obj)}\n`)) },
    ],
  });
  return instance;
}

let lineSink: ((line: string) => void) | null = null;

/**
 * While a live view owns stderr (`hm run`'s progress view), log lines go
 * through it so they land above the view instead of through it; null restores stderr.
 */
export function routeLogLines(sink: ((line: string) => void) | null): void {
  lineSink = sink;
}

/**
 * Where the raw text a plugin writes (`write_stdout`/`write_stderr`) goes
 * during a run: stderr, since stdout carries the JSON stream; line by line
 * through the live view while one owns stderr. One per call: each stream
 * keeps its own partial line (so the two are never glued together), and
 * `flush` writes what is left when the call ends.
 */
export function pluginTextWriter(): { write: (fd: 1 | 2, bytes: Uint8Array) => void; flush: () => void } {
  const streams = new Map<1 | 2, { decoder: TextDecoder; partial: string }>();
  return {
    write(fd, bytes) {
      if (lineSink === null) {
        process.stderr.write(bytes);
        return;
      }
      const stream = streams.get(fd) ?? { decoder: new TextDecoder(), partial: "" };
      streams.set(fd, stream);
      const lines = (stream.partial + stream.decoder.decode(bytes, { stream: true })).split("\n");
      stream.partial = lines.pop() ?? "";
      for (const line of lines) lineSink(line);
    },
    flush() {
      for (const stream of streams.values()) {
        const rest = stream.partial + stream.decoder.decode();
        stream.partial = "";
        if (rest !== "") (lineSink ?? ((line: string) => process.stderr.write(`${line}\n`)))(rest);
      }
    },
  };
}
