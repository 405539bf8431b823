/**
 * Prototype of shared-memory dispatch, worker side: blocks in Atomics.wait until the main thread
 * puts a request in the shared buffer, runs the plugin call on this thread with hm's own host
 * table and host functions, writes the result back and wakes the main thread.
 * Layout of `control` (Int32): [state, input length, method → status, output length].
 */
import type { CallContext } from "../../src/plugins/call-context.ts";
import { HostTable } from "../../src/plugins/host-table.ts";
import { openLibrary } from "../../src/plugins/native-library.ts";
import { workerHost } from "../../src/plugins/worker-host.ts";
import { State } from "./shared-memory-call.ts";

declare const self: Worker;

interface Init {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  libraryPath: string;
  context: CallContext;
}

self.onmessage = (event: MessageEvent<Init>) => {
  const { libraryPath, context } = event.data;
  const control = new Int32Array(event.data.control);
  const data = new Uint8Array(event.data.data);
  const library = openLibrary(libraryPath);
  const table = new HostTable();
  const cancelFlags = new Int32Array(new SharedArrayBuffer(4 * (context.cancelSlot + 1)));
  for (let id = 1; ; id++) {
    let state = Atomics.load(control, 0);
    while (state !== State.request && state !== State.exit) {
      Atomics.wait(control, 0, state);
      state = Atomics.load(control, 0);
    }
    if (state === State.exit) break;
    const input = data.slice(0, control[1]);
    const host = workerHost(id, context, cancelFlags, (message) => self.postMessage(message));
    const outcome = table.invoke(library, control[2] as number, input, host.fns);
    host.release();
    const output = outcome.output ?? new Uint8Array(0);
    data.set(output, 0);
    control[2] = outcome.status;
    control[3] = outcome.output === null ? -1 : output.length;
    Atomics.store(control, 0, State.done);
    Atomics.notify(control, 0);
  }
  self.postMessage("exited");
};
