/**
 * A binary min-heap of small non-negative integers (node indexes, positions
 * in a topological order). The scheduler and the graph's topological sort
 * take "the lowest ready one" thousands of times; sorting or scanning for it
 * each time made a 50 000-step run quadratic, a heap makes each take log n.
 */
export class IndexHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The smallest value, or undefined when empty. */
  peek(): number | undefined {
    return this.items[0];
  }

  push(value: number): void {
    const items = this.items;
    let at = items.length;
    items.push(value);
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const above = items[parent] as number;
      if (above <= value) break;
      items[at] = above;
      at = parent;
    }
    items[at] = value;
  }

  /** Removes and returns the smallest value, or undefined when empty. */
  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && (items[right] as number) < (items[left] as number) ? right : left;
      const below = items[child] as number;
      if (last <= below) break;
      items[at] = below;
      at = child;
    }
    items[at] = last;
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
