/** What a worker needs to serve one plugin call's host functions (sent with the call). */
export interface CallContext {
  /** Plugin-scope KV owner and the name errors are reported under. */
  readonly pluginName: string;
  /** Build-scope KV owner (the run id), or null outside a run. */
  readonly runId: string | null;
  /** Step-scope KV owner (the step execution id), or null outside a step. */
  readonly stepId: string | null;
  /** The project's `.hm/` (fs_read_config root), or null when there is none. */
  readonly configDir: string | null;
  /** Workspace archives this call may read: UUID → tar file path. */
  readonly archives: Readonly<Record<string, string>>;
  /** Slot in the shared cancel flags; 1 there means "stop". */
  readonly cancelSlot: number;
  readonly kvPath: string;
  /** The call's flow-control slot (call-output.ts); absent when none was free. */
  readonly outputSlot?: number;
}

export interface CallRequest {
  readonly id: number;
  readonly libraryPath: string;
  readonly method: number;
  readonly input: Uint8Array;
  readonly context: CallContext;
}

/**
 * Messages a worker posts while a call runs; `done` is always last for a call id. Log records
 * travel with the step lines, in their batches (worker-host.ts).
 */
export type WorkerMessage =
  | { type: "event"; id: number; bytes: Uint8Array }
  | { type: "write"; id: number; fd: 1 | 2; bytes: Uint8Array }
  | { type: "done"; id: number; status: number; output: Uint8Array | null; hostErrors: string[] }
  | { type: "failed"; id: number; error: string };

export type WorkerInit = {
  type: "init";
  cancelFlags: SharedArrayBuffer;
  /** The process's KV write counter (kv-store.ts), which the worker's kv_get cache checks. */
  kvWrites: SharedArrayBuffer;
};
