/**
 * A loopback TCP listener in front of the engine's unix socket: a second
 * address for the same engine, so `DOCKER_HOST=tcp://127.0.0.1:<port>` is
 * exercised without reconfiguring dockerd. Bytes are relayed both ways with
 * backpressure (a socket's unwritten tail waits for its drain).
 */
import type { Socket } from "bun";

interface Side {
  peer?: Socket<Side>;
  pending: Uint8Array[];
  /** What a client sent before its upstream connection was open. */
  early: Uint8Array[];
}

function send(to: Socket<Side>, bytes: Uint8Array): void {
  if (to.data.pending.length > 0) {
    to.data.pending.push(bytes.slice());
    return;
  }
  const written = to.write(bytes);
  if (written < bytes.byteLength) to.data.pending.push(bytes.slice(written));
}

function flush(socket: Socket<Side>): void {
  while (socket.data.pending.length > 0) {
    const head = socket.data.pending[0] as Uint8Array;
    const written = socket.write(head);
    if (written < head.byteLength) {
      socket.data.pending[0] = head.subarray(written);
      return;
    }
    socket.data.pending.shift();
  }
}

export interface TcpProxy {
  port: number;
  /** Bytes sent by clients through the proxy so far. */
  bytesIn(): number;
  stop(): void;
}

export function proxyUnixSocket(unixPath: string): TcpProxy {
  let bytesIn = 0;
  const server = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        client.data = { pending: [], early: [] };
        const upstream = await Bun.connect<Side>({
          unix: unixPath,
          data: { peer: client, pending: [], early: [] },
          socket: {
            data(self, bytes) {
              if (self.data.peer) send(self.data.peer, bytes);
            },
            drain: flush,
            close(self) {
              self.data.peer?.end();
            },
            error(self) {
              self.data.peer?.end();
            },
          },
        });
        client.data.peer = upstream;
        for (const bytes of client.data.early.splice(0)) send(upstream, bytes);
      },
      data(client, bytes) {
        bytesIn += bytes.byteLength;
        if (client.data.peer) send(client.data.peer, bytes);
        else client.data.early.push(bytes.slice());
      },
      drain: flush,
      close(client) {
        client.data.peer?.end();
      },
      error(client) {
        client.data.peer?.end();
      },
    },
  });
  return { port: server.port, bytesIn: () => bytesIn, stop: () => server.stop(true) };
}
