/**
 * Benchmark 3: the protocol codec hm uses in its hot paths (src/protocol, a hand-written borsh
 * codec) against the `borsh` npm package, on an ExecutorInput, a step_log BuildEvent and a
 * HookEvent. borsh-js is timed on values already converted to its shapes (and not converted
 * back), which flatters it slightly; both sides produce identical bytes (checked here).
 */
import { deserialize, type Schema, serialize } from "borsh";
import {
  decodeBuildEvent,
  decodeExecutorInput,
  decodeHookEvent,
  encodeBuildEvent,
  encodeExecutorInput,
  encodeHookEvent,
} from "../src/protocol/index.ts";
import { schemas, toBorsh } from "../test/protocol/borsh-js.ts";
import type { MessageName } from "../test/protocol/samples.ts";
import type { Benchmark, Section } from "./lib/report.ts";
import { executorInput, hookEvent, stepLog } from "./lib/samples.ts";
import { type Contender, fmt, interleaved, ratios, spread, summarize, times } from "./lib/stats.ts";

interface Subject {
  readonly name: MessageName;
  readonly label: string;
  readonly value: unknown;
  readonly encode: (v: never) => Uint8Array;
  readonly decode: (b: Uint8Array) => unknown;
}

const subjects: Subject[] = [
  {
    name: "ExecutorInput",
    label: "ExecutorInput",
    value: executorInput,
    encode: encodeExecutorInput,
    decode: decodeExecutorInput,
  },
  {
    name: "BuildEvent",
    label: "BuildEvent (step_log)",
    value: stepLog,
    encode: encodeBuildEvent,
    decode: decodeBuildEvent,
  },
  {
    name: "HookEvent",
    label: "HookEvent (step_log)",
    value: hookEvent,
    encode: encodeHookEvent,
    decode: decodeHookEvent,
  },
];

export default {
  name: "codec",
  title: "3. Codec: hm's borsh codec against the borsh package",
  async run({ small }): Promise<Section> {
    const batches = small ? 2 : 15;
    const perBatch = small ? 20 : 2_000;
    const rows: string[][] = [];
    for (const s of subjects) {
      const encode = s.encode as (v: unknown) => Uint8Array;
      const ours = encode(s.value);
      const schema: Schema = schemas[s.name];
      const borshValue = (toBorsh[s.name] as (v: unknown) => unknown)(s.value);
      const theirs = serialize(schema, borshValue, false);
      if (Buffer.compare(ours, theirs) !== 0)
        throw new Error(`${s.label}: hm's bytes differ from borsh-js's`);
      const contenders: Contender[] = [
        { name: "hm encode", perBatch, op: () => encode(s.value) },
        { name: "borsh encode", perBatch, op: () => serialize(schema, borshValue, false) },
        { name: "hm decode", perBatch, op: () => s.decode(ours) },
        { name: "borsh decode", perBatch, op: () => deserialize(schema, theirs, false) },
      ];
      const [hmEnc, borshEnc, hmDec, borshDec] = (await interleaved(contenders, batches)) as [
        number[],
        number[],
        number[],
        number[],
      ];
      const cell = (us: number[]) => {
        const m = summarize(us);
        return `${spread(m)} µs, ${fmt(ours.length / m.median)} MB/s`;
      };
      rows.push(
        [s.label, String(ours.length), "encode", cell(hmEnc), cell(borshEnc), times(ratios(borshEnc, hmEnc))],
        [s.label, String(ours.length), "decode", cell(hmDec), cell(borshDec), times(ratios(borshDec, hmDec))],
      );
    }
    return {
      tables: [
        {
          caption: `Per message: median (min–max) of ${batches} interleaved batches of ${perBatch}; MB/s from the median.`,
          columns: ["message", "bytes", "op", "hm (src/protocol)", "borsh package", "borsh ÷ hm"],
          rows,
        },
      ],
      notes: [
        "Both produce identical bytes (checked before timing). hm's codec is what the plugin host, the event bus and the hook dispatch use; the borsh package is only the reference in tests.",
      ],
    };
  },
} satisfies Benchmark;
