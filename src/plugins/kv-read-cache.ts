/**
 * kv_get's read cache for one plugin call (`docs/design.md`, "KV reads"). A build- or step-scope
 * value read once in a call is answered from memory after that, for as long as no KV write has
 * happened in this process since: every write bumps one counter shared by the main thread and
 * every worker (`kvWrites`), and each cached read compares it. A live run's build and step rows
 * are written only by this process (their owners are its run and step ids), so the counter sees
 * every write that could make a cached value stale, whichever call or thread made it. Plugin-scope
 * rows are shared with other hm processes, whose writes the counter cannot see: they are always
 * read from SQLite (SQLite's own change check, `PRAGMA data_version`, costs more than the read).
 *
 * The counter is read before SQLite is, and writers bump it after they commit, so a value read
 * while a write commits is cached under the older count and dropped at the next read.
 */
import type { KvScope } from "../protocol/host.ts";
import { kvWrites } from "./kv-store.ts";

/** Distinct keys a call keeps at most; reads past that go to SQLite. */
const MAX_ENTRIES = 256;

interface Entry {
  readonly scope: KvScope;
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

export class KvReadCache {
  private entries: Entry[] = [];
  private writes = kvWrites();

  /** The value of `key`, from memory when this call read it since the last KV write, else from `read`. */
  get(scope: KvScope, key: Uint8Array, read: () => Uint8Array | null): Uint8Array | null {
    if (scope === "plugin") return read();
    const writes = kvWrites();
    if (writes !== this.writes) {
      this.entries = [];
      this.writes = writes;
    }
    const hit = this.find(scope, key);
    if (hit !== undefined) return hit.value;
    const value = read();
    if (this.entries.length < MAX_ENTRIES) this.entries.push({ scope, key: key.slice(), value });
    return value;
  }

  private find(scope: KvScope, key: Uint8Array): Entry | undefined {
    const n = key.length;
    next: for (const entry of this.entries) {
      if (entry.scope !== scope || entry.key.length !== n) continue;
      for (let i = 0; i < n; i++) if (entry.key[i] !== key[i]) continue next;
      return entry;
    }
    return undefined;
  }
}
