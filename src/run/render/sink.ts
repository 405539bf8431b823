/**
 * Where a renderer writes: a Node stream (stdout, stderr) with back-pressure.
 * `write` returns a promise only when the stream's buffer is full, so the
 * event bus holds this consumer's next events (in its queue) until it drains.
 * Once the stream fails (a closed pipe: `hm run --format json | head -1`),
 * later writes are dropped and `closed` says so; the build goes on.
 */
export interface TextSink {
  write(text: string): void | Promise<void>;
  readonly closed: boolean;
}

export function streamSink(stream: NodeJS.WritableStream): TextSink {
  let closed = false;
  stream.on("error", () => {
    closed = true;
  });
  return {
    get closed() {
      return closed;
    },
    write(text) {
      if (closed) return;
      if (stream.write(text)) return;
      return new Promise<void>((resolve) => {
        const done = () => {
          stream.off("drain", done);
          stream.off("error", done);
          resolve();
        };
        stream.once("drain", done);
        stream.once("error", done);
      });
    },
  };
}

/** Collects everything written: for tests and for replaying into another sink. */
export function memorySink(): TextSink & { readonly text: string } {
  let text = "";
  return {
    closed: false,
    get text() {
      return text;
    },
    write(chunk) {
      text += chunk;
    },
  };
}
