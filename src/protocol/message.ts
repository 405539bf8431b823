/**
 * Whole messages: one codec run over one buffer, with errors turned into
 * `DecodeError` / `EncodeError` that name the message type.
 */
import type { Codec } from "./codec.ts";
import { DecodeError, EncodeError, EncodeFault, joinPath } from "./errors.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

const KEEP_BUFFER = 1 << 20;
let shared: Writer | null = null;

/** Encodes one whole message; any bad value becomes an `EncodeError` naming `messageType` and the field. */
export function encodeMessage(messageType: string, codec: Codec<unknown>, value: unknown): Uint8Array {
  // One buffer is reused across calls; a nested call (a getter that encodes) gets its own.
  const w = shared ?? new Writer();
  shared = null;
  w.reset();
  try {
    codec.write(w, value);
    return w.result();
  } catch (e) {
    if (e instanceof EncodeFault) throw new EncodeError(messageType, joinPath(e.path), e.reason);
    throw e;
  } finally {
    shared = w.capacity > KEEP_BUFFER ? null : w;
  }
}

/** Decodes one whole message; anything but exactly one valid value is a `DecodeError`. */
export function decodeMessage<T>(messageType: string, codec: Codec<T>, bytes: Uint8Array): T {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(messageType, 0, "input is not a Uint8Array");
  const r = new Reader(bytes, messageType);
  const value = codec.read(r);
  r.finish();
  return value;
}
