/**
 * Pipeline IR, both encodings (`docs/design.md`, "Pipelines, keys and the IR"), as valibot schemas.
 * Optional fields may be absent or null; null is read as absent. Unknown
 * keys are dropped, except in `cache`, whose policy-specific fields
 * (`duration_seconds`, `env_keys`, `paths`, `sub_policies`) are kept as written.
 */
import * as v from "valibot";

const nonEmpty = (what: string) => v.pipe(v.string(), v.minLength(1, `${what} must not be empty`));

/** Absent or null both read as absent. */
const maybe = <S extends v.GenericSchema>(schema: S) =>
  v.pipe(
    v.nullish(schema),
    v.transform((x) => x ?? undefined),
  );

const positiveSeconds = v.pipe(
  v.number("must be a number of seconds"),
  v.integer("must be a whole number of seconds"),
  v.minValue(1, (issue) => `must be > 0 (got ${issue.input})`),
  v.maxValue(2 ** 32 - 1, "must fit in 32 bits"),
);

/**
 * An environment reaches execve(2) and the Docker engine as `NAME=value`
 * C strings: a NUL ends the string early and an `=` in the name moves the
 * split, so neither could be passed as written. Caught here, before anything
 * runs, rather than as a runner failure half-way through a build.
 */
const EnvSchema = v.record(
  v.pipe(
    v.string(),
    v.minLength(1, "variable name must not be empty"),
    v.check((name) => !name.includes("="), "variable name must not contain '='"),
    v.check((name) => !name.includes("\0"), "variable name must not contain a NUL byte"),
  ),
  v.pipe(
    v.string("env values must be strings"),
    v.check((value) => !value.includes("\0"), "value must not contain a NUL byte"),
  ),
);

const CacheSchema = v.looseObject({
  policy: nonEmpty("cache.policy"),
  key: maybe(v.string()),
});

/** A command step as it appears in a graph node (no `type`, no `builds_in`). */
const GraphStepSchema = v.object({
  key: nonEmpty("step key"),
  // `sh -c` gets the command as a C string: a NUL would silently cut it, running only what comes before.
  cmd: v.pipe(
    v.string("cmd must be a string"),
    v.check((cmd) => !cmd.includes("\0"), "cmd must not contain a NUL byte"),
  ),
  label: maybe(v.string()),
  cache: maybe(CacheSchema),
  timeout_seconds: maybe(positiveSeconds),
  image: maybe(nonEmpty("image")),
  runner: maybe(v.pipe(v.string(), v.regex(/^\S+$/, "runner must be a non-empty name without whitespace"))),
  runner_args: maybe(v.unknown()),
  env: maybe(EnvSchema),
});

const EdgeKindSchema = v.picklist(
  ["builds_in", "depends_on"],
  'edge kind must be "builds_in" or "depends_on"',
);

const nodeIndex = v.pipe(v.number(), v.integer(), v.minValue(0));

export const GraphIRSchema = v.object({
  version: v.literal("0", 'version must be "0"'),
  default_image: maybe(v.string()),
  timeout_seconds: maybe(positiveSeconds),
  graph: v.object({
    nodes: v.array(v.object({ step: GraphStepSchema, env: v.optional(EnvSchema, {}) })),
    node_holes: v.optional(v.array(v.unknown()), []),
    edge_property: v.optional(v.literal("directed", 'edge_property must be "directed"'), "directed"),
    edges: v.array(v.tuple([nodeIndex, nodeIndex, EdgeKindSchema])),
  }),
});

const CommandStepSchema = v.object({
  type: v.literal("command"),
  ...GraphStepSchema.entries,
  builds_in: maybe(nonEmpty("builds_in")),
});

const WaitStepSchema = v.object({
  type: v.literal("wait"),
  continue_on_failure: v.optional(v.boolean(), false),
});

export const StepsListIRSchema = v.object({
  version: v.literal("0", 'version must be "0"'),
  env: maybe(EnvSchema),
  default_image: maybe(v.string()),
  timeout_seconds: maybe(positiveSeconds),
  steps: v.array(
    v.variant("type", [CommandStepSchema, WaitStepSchema], 'step type must be "command" or "wait"'),
  ),
});

export type GraphStep = v.InferOutput<typeof GraphStepSchema>;
export type GraphIR = v.InferOutput<typeof GraphIRSchema>;
export type GraphNode = GraphIR["graph"]["nodes"][number];
export type Edge = GraphIR["graph"]["edges"][number];
export type StepsListIR = v.InferOutput<typeof StepsListIRSchema>;
