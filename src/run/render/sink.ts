/**
 * Where a renderer writes: a Node stream (stdout, stderr) with back-pressure.
 * `write` returns a promise only when the stream's buffer is full, so the
 * event bus holds this consumer's next events (in its queue) until it drains.
 * Once the stream fails (a closed pipe: `hm run --format json | head -1`),
 * later writes are dropped and `closed` says so; the build goes on.
 */
export interface TextSink {
  write(text: string): void | Promise<void>;
  /** Writes out at once what `write` may still hold (before a synchronous exit). */
  flush(): void;
  readonly closed: boolean;
}

/** Past this many characters held, a write goes out at once instead of at the end of the tick. */
const HOLD_LIMIT = 1 << 16;

/**
 * Text written in one tick goes out as one write at its end: a cancel that
 * skips 50 000 steps prints 50 000 lines in one synchronous pass, and a
 * system call per line was most of its time. Back-pressure still reaches the
 * caller: once the stream is full, `write` returns a promise until it drains.
 */
export function streamSink(stream: NodeJS.WritableStream): TextSink {
  let closed = false;
  let held = "";
  let scheduled = false;
  let full: Promise<void> | null = null;
  stream.on("error", () => {
    closed = true;
  });
  const flush = () => {
    scheduled = false;
    if (closed || held === "") return;
    const chunk = held;
    held = "";
    if (stream.write(chunk) || full !== null) return;
    full = new Promise<void>((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("error", done);
        full = null;
        resolve();
      };
      stream.once("drain", done);
      stream.once("error", done);
    });
  };
  return {
    get closed() {
      return closed;
    },
    write(text) {
      if (closed) return;
      held += text;
      if (held.length >= HOLD_LIMIT) flush();
      else if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
      return full ?? undefined;
    },
    flush,
  };
}

/** Collects everything written: for tests and for replaying into another sink. */
export function memorySink(): TextSink & { readonly text: string } {
  let text = "";
  return {
    closed: false,
    flush() {},
    get text() {
      return text;
    },
    write(chunk) {
      text += chunk;
    },
  };
}
