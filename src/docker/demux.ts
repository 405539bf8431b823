/**
 * Docker's multiplexed attach stream (no TTY): frames of an 8-byte header
 * (stream type at byte 0: 1 stdout, 2 stderr; big-endian u32 length at
 * bytes 4..8) followed by the payload. Frames may arrive split or joined in
 * any way; this reassembles them.
 */
export class StreamDemuxer {
  private buffer = new Uint8Array(0);

  constructor(private readonly onFrame: (stream: "stdout" | "stderr", payload: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    let data = this.buffer.length === 0 ? chunk : joined(this.buffer, chunk);
    while (data.length >= 8) {
      const size =
        ((data[4] as number) << 24) |
        ((data[5] as number) << 16) |
        ((data[6] as number) << 8) |
        (data[7] as number);
      const length = size >>> 0;
      if (data.length < 8 + length) break;
      this.onFrame(data[0] === 2 ? "stderr" : "stdout", data.subarray(8, 8 + length));
      data = data.subarray(8 + length);
    }
    this.buffer = data.length === 0 ? new Uint8Array(0) : data.slice();
  }
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
