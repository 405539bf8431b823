/**
 * The dispatch hm used before its shared-memory channel, kept as a yardstick: a worker that
 * receives each call as a message and posts the reply back. It runs the call with hm's own host
 * table and host functions, as hm's pool worker does.
 */
import type { CallRequest } from "../../src/plugins/call-context.ts";
import { HostTable } from "../../src/plugins/host-table.ts";
import { openLibrary } from "../../src/plugins/native-library.ts";
import { workerHost } from "../../src/plugins/worker-host.ts";

declare const self: Worker;

const cancelFlags = new Int32Array(new SharedArrayBuffer(4));
const table = new HostTable();

self.onmessage = (event: MessageEvent<CallRequest>) => {
  const request = event.data;
  const host = workerHost(request.id, request.context, cancelFlags, (message) => self.postMessage(message));
  try {
    const outcome = table.invoke(openLibrary(request.libraryPath), request.method, request.input, host.fns);
    self.postMessage({ type: "done", id: request.id, ...outcome });
  } finally {
    host.release();
  }
};
