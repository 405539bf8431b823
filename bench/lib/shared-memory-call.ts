/**
 * Prototype of shared-memory dispatch, main-thread side: one worker, one call at a time. The
 * request and the result travel through a SharedArrayBuffer; the worker is woken with
 * Atomics.notify and the main thread waits with Atomics.waitAsync (never a blocking wait), after
 * an optional short spin that catches quick calls before the event loop gets involved.
 */
import type { CallContext } from "../../src/plugins/call-context.ts";

export const State = { idle: 0, request: 1, done: 2, exit: 3 } as const;

export class SharedMemoryCaller {
  private readonly control = new Int32Array(new SharedArrayBuffer(16));
  private readonly data: Uint8Array;
  private readonly worker: Worker;

  constructor(libraryPath: string, context: CallContext, capacity = 1 << 20) {
    const data = new SharedArrayBuffer(capacity);
    this.data = new Uint8Array(data);
    this.worker = new Worker(new URL("./shared-memory-worker.ts", import.meta.url).href);
    this.worker.postMessage({ control: this.control.buffer, data, libraryPath, context });
  }

  /** Runs `method` with `input`; `spinNs` is how long to poll before yielding to the event loop. */
  async call(
    method: number,
    input: Uint8Array,
    spinNs = 0,
  ): Promise<{ status: number; output: Uint8Array | null }> {
    const c = this.control;
    this.data.set(input, 0);
    c[1] = input.length;
    c[2] = method;
    Atomics.store(c, 0, State.request);
    Atomics.notify(c, 0);
    if (spinNs > 0) {
      const until = Bun.nanoseconds() + spinNs;
      while (Atomics.load(c, 0) === State.request && Bun.nanoseconds() < until);
    }
    while (Atomics.load(c, 0) === State.request) {
      const wait = Atomics.waitAsync(c, 0, State.request);
      if (wait.async) await wait.value;
    }
    const length = c[3] as number;
    const result = { status: c[2] as number, output: length < 0 ? null : this.data.slice(0, length) };
    Atomics.store(c, 0, State.idle);
    return result;
  }

  /** Lets the worker leave its loop (it is not inside a plugin call), then stops it. */
  async close(): Promise<void> {
    const exited = new Promise((resolve) => {
      this.worker.onmessage = resolve;
    });
    Atomics.store(this.control, 0, State.exit);
    Atomics.notify(this.control, 0);
    await exited;
    this.worker.terminate();
  }
}
