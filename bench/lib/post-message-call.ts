/** Main-thread side of the postMessage yardstick (post-message-worker.ts): one call at a time. */
import type { CallContext, CallRequest } from "../../src/plugins/call-context.ts";
import type { CallOutcome } from "../../src/plugins/host-table.ts";

export class PostMessageCaller {
  private readonly worker = new Worker(new URL("./post-message-worker.ts", import.meta.url).href);
  private nextId = 1;

  constructor(
    private readonly libraryPath: string,
    private readonly context: CallContext,
  ) {}

  call(method: number, input: Uint8Array): Promise<CallOutcome> {
    const request: CallRequest = {
      id: this.nextId++,
      libraryPath: this.libraryPath,
      method,
      input,
      context: this.context,
    };
    return new Promise((resolve) => {
      this.worker.onmessage = (event: MessageEvent<CallOutcome & { type: string; id: number }>) => {
        if (event.data.type === "done" && event.data.id === request.id) resolve(event.data);
      };
      this.worker.postMessage(request);
    });
  }

  close(): void {
    this.worker.terminate();
  }
}
