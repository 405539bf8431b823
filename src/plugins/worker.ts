/**
 * A plugin worker: runs one `hm_plugin_call` at a time on its own thread, so
 * blocking native code never stalls the main thread. Bundled as a second
 * entry point of the compiled binary. Requests arrive through its shared-memory
 * channel (call-channel.ts), or as messages when they do not fit there.
 */
import { CallChannel, type ChannelWorkerInit } from "./call-channel.ts";
import type { CallRequest, WorkerMessage } from "./call-context.ts";
import { WorkerOutput } from "./call-output.ts";
import type { CallOutcome } from "./host-table.ts";
import { HostTable } from "./host-table.ts";
import { useKvWriteCounter } from "./kv-store.ts";
import { openLibrary } from "./native-library.ts";
import { type HostMessage, workerHost } from "./worker-host.ts";

declare const self: Worker;

let cancelFlags = new Int32Array(new SharedArrayBuffer(4));
let table: HostTable | undefined;
/** Where this worker batches step lines and waits for the main thread (set by the init message). */
let output: WorkerOutput | undefined;
/** Messages posted during the current call: the reply says how many, so the pool waits for them. */
let posted = 0;

function post(message: HostMessage): void {
  posted++;
  self.postMessage(message);
}

/** Runs one call on this thread; an error is the call's failure. */
function run(request: CallRequest): CallOutcome {
  let host: ReturnType<typeof workerHost> | undefined;
  try {
    const library = openLibrary(request.libraryPath);
    table ??= new HostTable();
    host = workerHost(request.id, request.context, cancelFlags, post, output);
    return table.invoke(library, request.method, request.input, host.fns);
  } finally {
    host?.release();
  }
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function serve(channel: CallChannel): Promise<never> {
  for (;;) {
    const request = await channel.receive();
    posted = 0;
    try {
      const outcome = run(request);
      if (!channel.replyDone(outcome, posted)) {
        // The channel says "in a message" before the message goes: posted first, the pool could
        // finish the call and send the next request before this store, which would then erase it.
        channel.repliedInMessage();
        self.postMessage({ type: "done", id: request.id, ...outcome } satisfies WorkerMessage);
      }
    } catch (error) {
      channel.replyFailed(errorText(error), posted);
    }
  }
}

self.onmessage = (event: MessageEvent<ChannelWorkerInit | CallRequest>) => {
  const message = event.data;
  if ("type" in message && message.type === "init") {
    cancelFlags = new Int32Array(message.cancelFlags);
    useKvWriteCounter(message.kvWrites);
    output = new WorkerOutput(message.channel.output);
    void serve(new CallChannel(message.channel));
    return;
  }
  const request = message as CallRequest;
  try {
    post({ type: "done", id: request.id, ...run(request) });
  } catch (error) {
    post({ type: "failed", id: request.id, error: errorText(error) });
  }
};
