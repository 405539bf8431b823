/**
 * Why a plugin-protocol message could not be decoded or encoded. Both errors
 * name the message type; a `DecodeError` adds the byte offset and an
 * `EncodeError` the field path, so the bad byte or field can be found from
 * the error message alone.
 */

export class DecodeError extends Error {
  override readonly name = "DecodeError";
  /** The message being decoded, e.g. `"ExecutorInput"`. */
  readonly messageType: string;
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;
  /** What was wrong, without the message type and offset. */
  readonly reason: string;

  constructor(messageType: string, offset: number, reason: string) {
    super(`${messageType}: ${reason} at offset ${offset}`);
    this.messageType = messageType;
    this.offset = offset;
    this.reason = reason;
  }
}

export class EncodeError extends Error {
  override readonly name = "EncodeError";
  /** The message being encoded, e.g. `"ExecutorInput"`. */
  readonly messageType: string;
  /** The offending field, e.g. `step.env["PATH"]` or `capabilities[0].args[1].short`; `""` for the root. */
  readonly path: string;
  readonly reason: string;

  constructor(messageType: string, path: string, reason: string) {
    const where = path === "" || path.startsWith("[") ? path : `.${path}`;
    super(`${messageType}${where}: ${reason}`);
    this.messageType = messageType;
    this.path = path;
    this.reason = reason;
  }
}

/**
 * Thrown by encoders below the message level, where the message type is not
 * known; each container on the way up prepends its field, and the top-level
 * encoder turns it into an `EncodeError`. Not exported from the package.
 */
export class EncodeFault {
  readonly path: string[] = [];
  constructor(readonly reason: string) {}
}

export function fault(reason: string): never {
  throw new EncodeFault(reason);
}

/** Records that a fault happened under `segment` (a field name or `[i]`); other errors pass through. */
export function under(error: unknown, segment: string): unknown {
  if (error instanceof EncodeFault) error.path.unshift(segment);
  return error;
}

export function joinPath(segments: readonly string[]): string {
  let path = "";
  for (const s of segments) path += s.startsWith("[") || path === "" ? s : `.${s}`;
  return path;
}

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : String(typeof value);
}
