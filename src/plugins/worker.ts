/**
 * A plugin worker: runs one `hm_plugin_call` at a time on its own thread, so
 * blocking native code never stalls the main thread. Bundled as a second
 * entry point of the compiled binary.
 */
import type { CallRequest, WorkerInit, WorkerMessage } from "./call-context.ts";
import { HostTable } from "./host-table.ts";
import { openLibrary } from "./native-library.ts";
import { workerHost } from "./worker-host.ts";

declare const self: Worker;

let cancelFlags = new Int32Array(new SharedArrayBuffer(4));
let table: HostTable | undefined;

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

self.onmessage = (event: MessageEvent<WorkerInit | CallRequest>) => {
  const message = event.data;
  if ("type" in message && message.type === "init") {
    cancelFlags = new Int32Array(message.cancelFlags);
    return;
  }
  const request = message as CallRequest;
  let host: ReturnType<typeof workerHost> | undefined;
  try {
    const library = openLibrary(request.libraryPath);
    table ??= new HostTable();
    host = workerHost(request.id, request.context, cancelFlags, post);
    const outcome = table.invoke(library, request.method, request.input, host.fns);
    post({ type: "done", id: request.id, ...outcome });
  } catch (error) {
    post({ type: "failed", id: request.id, error: error instanceof Error ? error.message : String(error) });
  } finally {
    host?.release();
  }
};
