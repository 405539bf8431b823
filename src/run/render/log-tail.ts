/**
 * The last `capacity` lines of a step's log, in a ring: memory stays bounded
 * however much a step prints, and the summary can still say how many earlier
 * lines it leaves out.
 */
export class LogTail {
  private readonly ring: string[] = [];
  /** Where the next line goes once the ring is full. */
  private next = 0;
  /** Lines pushed out of the ring. */
  dropped = 0;

  constructor(readonly capacity: number) {}

  push(line: string): void {
    if (this.capacity <= 0) {
      this.dropped++;
      return;
    }
    if (this.ring.length < this.capacity) {
      this.ring.push(line);
      return;
    }
    this.ring[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
    this.dropped++;
  }

  /** The kept lines, oldest first. */
  lines(): string[] {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
