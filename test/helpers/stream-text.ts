/**
 * The text a child process writes to a pipe, collected as it comes, so a test
 * can wait for a line (a sign that hm has done something) instead of sleeping
 * for a while and hoping it has.
 */
export interface StreamText {
  /** Everything read so far. */
  readonly text: () => string;
  /** Resolves once the text read so far contains `needle`; rejects if the stream ends without it. */
  contains(needle: string): Promise<string>;
  /** Resolves with the whole text once the stream has ended. */
  readonly ended: Promise<string>;
}

export function streamText(stream: ReadableStream<Uint8Array>): StreamText {
  let text = "";
  let done = false;
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  const ended = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      wake();
    }
    text += decoder.decode();
    done = true;
    wake();
    return text;
  })();
  return {
    text: () => text,
    ended,
    async contains(needle) {
      for (;;) {
        if (text.includes(needle)) return text;
        if (done) throw new Error(`the output ended without ${JSON.stringify(needle)}:\n${text}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}
