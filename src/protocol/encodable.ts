/**
 * What the encoders accept for a message type `T`: `T` itself, with every
 * nullable field also allowed to be missing or `undefined` (decoders always
 * give `null`), and u64 fields also allowed to be a safe integer number.
 */
import type { Value } from "./value.ts";

type NullableKeys<T> = { [K in keyof T]-?: null extends T[K] ? K : never }[keyof T];

export type Encodable<T> = [Value] extends [T]
  ? T | undefined
  : T extends bigint
    ? bigint | number
    : T extends readonly (infer U)[]
      ? readonly Encodable<U>[]
      : T extends object
        ? { [K in Exclude<keyof T, NullableKeys<T>>]: Encodable<T[K]> } & {
            [K in NullableKeys<T>]?: Encodable<T[K]> | undefined;
          }
        : T;
