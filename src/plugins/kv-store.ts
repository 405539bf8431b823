/**
 * Plugin key-value store in SQLite (WAL): one database for every plugin and
 * run, safe for concurrent writers across threads and processes. Scopes:
 * `plugin` persists per plugin name; `build` lives for one `hm run`;
 * `step` for one step execution (their rows are dropped when those end).
 */
import { ptr } from "bun:ffi";
import { Database } from "bun:sqlite";
import { dirname } from "node:path";
import type { KvScope } from "../protocol/host.ts";
import { makePrivateDir, makePrivateFile, tightenIfPresent } from "./paths.ts";

/**
 * KV writes made by this process, on any thread (workers share the main thread's counter through
 * their init message): kv-read-cache.ts drops what it read when this moves. Bumped after a write
 * commits.
 */
let writeCounter = new Int32Array(new SharedArrayBuffer(4));

/** The counter's memory, for a worker to share (`useKvWriteCounter`). */
export function kvWriteCounter(): SharedArrayBuffer {
  return writeCounter.buffer as SharedArrayBuffer;
}

/** Makes this thread count its writes in, and read, the main thread's counter. */
export function useKvWriteCounter(buffer: SharedArrayBuffer): void {
  writeCounter = new Int32Array(buffer);
}

/**
 * The counter's address, for plugins (host slot kv_write_count): the SDK's kv_get cache reads it.
 * Shared memory never moves, and this thread keeps the counter for its whole life.
 */
export function kvWriteCounterAddress(): number {
  return ptr(writeCounter) as unknown as number;
}

/** How many KV writes this process has made (wrapping; compare for equality only). */
export function kvWrites(): number {
  return Atomics.load(writeCounter, 0);
}

const wrote = () => void Atomics.add(writeCounter, 0, 1);

export class KvStore {
  private readonly db: Database;
  private readonly getStmt;
  private readonly setStmt;

  constructor(readonly path: string) {
    makePrivateDir(dirname(path));
    // SQLite gives the -wal and -shm files the database file's mode: create it 0600 before SQLite
    // does (0644), and tighten the files an earlier hm left readable by others.
    makePrivateFile(path);
    for (const journal of [`${path}-wal`, `${path}-shm`]) tightenIfPresent(journal);
    this.db = new Database(path, { create: true, strict: true });
    this.db.exec("PRAGMA busy_timeout = 10000");
    this.enableWal();
    this.db.exec("PRAGMA synchronous = NORMAL");
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS kv (scope TEXT NOT NULL, owner TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (scope, owner, key)) WITHOUT ROWID",
    );
    this.getStmt = this.db.query<{ value: Uint8Array }, [string, string, Uint8Array]>(
      "SELECT value FROM kv WHERE scope = ? AND owner = ? AND key = ?",
    );
    this.setStmt = this.db.query("INSERT OR REPLACE INTO kv (scope, owner, key, value) VALUES (?, ?, ?, ?)");
  }

  /**
   * WAL is a property of the file, so it is switched on once. Switching takes
   * a lock SQLite does not wait for (the busy timeout does not apply): when
   * several processes open a new database at once, retry for a while.
   */
  private enableWal(): void {
    const current = this.db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get();
    if (current?.journal_mode === "wal") return;
    const deadline = Date.now() + 10_000;
    for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
      try {
        this.db.exec("PRAGMA journal_mode = WAL");
        return;
      } catch (error) {
        const busy = (error as { code?: unknown }).code;
        if (typeof busy !== "string" || !busy.startsWith("SQLITE_BUSY") || Date.now() > deadline) throw error;
        Bun.sleepSync(pause);
      }
    }
  }

  get(scope: KvScope, owner: string, key: Uint8Array): Uint8Array | null {
    return this.getStmt.get(scope, owner, key)?.value ?? null;
  }

  set(scope: KvScope, owner: string, key: Uint8Array, value: Uint8Array): void {
    this.setStmt.run(scope, owner, key, value);
    wrote();
  }

  /** Read-modify-write as one transaction: no update is lost to a concurrent writer. */
  update(
    scope: KvScope,
    owner: string,
    key: Uint8Array,
    fn: (old: Uint8Array | null) => Uint8Array,
  ): Uint8Array {
    const tx = this.db.transaction(() => {
      const next = fn(this.get(scope, owner, key));
      this.set(scope, owner, key, next);
      return next;
    });
    try {
      return tx.immediate();
    } finally {
      wrote();
    }
  }

  /** Drops a run's build-scope rows and its steps' step-scope rows (at its end, or when a dead run is reaped). */
  dropRun(runId: string, stepIds: readonly string[]): void {
    this.db.transaction(() => {
      this.dropOwner("build", runId);
      for (const stepId of stepIds) this.dropOwner("step", stepId);
    })();
    wrote();
  }

  /** Drops a finished build's or step's rows. */
  dropOwner(scope: Exclude<KvScope, "plugin">, owner: string): void {
    this.db.query("DELETE FROM kv WHERE scope = ? AND owner = ?").run(scope, owner);
    wrote();
  }

  close(): void {
    this.db.close();
  }
}
