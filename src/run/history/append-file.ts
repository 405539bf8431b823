/**
 * A file written by appends held in memory and written out in one call when
 * asked: a log line costs a string push, not a system call. Created 0600 on
 * the first write (a step that prints nothing gets no file).
 */
import { type FileHandle, open } from "node:fs/promises";

export class AppendFile {
  private held: string[] = [];
  private handle: FileHandle | null = null;
  /** Characters held, not yet written. */
  heldChars = 0;

  constructor(readonly path: string) {}

  append(text: string): void {
    this.held.push(text);
    this.heldChars += text.length;
  }

  /** Writes out what is held. Not re-entrant: the recorder runs one flush at a time. */
  async flush(): Promise<void> {
    if (this.held.length === 0) return;
    const text = this.held.join("");
    this.held = [];
    this.heldChars = 0;
    this.handle ??= await open(this.path, "a", 0o600);
    await this.handle.appendFile(text);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = null;
  }
}
