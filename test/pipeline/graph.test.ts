/** IR in both encodings: parsing, conversion to the graph form, and every graph error. */
import { describe, expect, test } from "bun:test";
import { HmError } from "../../src/errors.ts";
import { parseIR } from "../../src/pipeline/graph.ts";

const node = (key: string, extra: Record<string, unknown> = {}) => ({
  step: { key, cmd: `run ${key}`, ...extra },
  env: {},
});
const graphIR = (nodes: unknown[], edges: unknown[], extra: Record<string, unknown> = {}) => ({
  version: "0",
  ...extra,
  graph: { nodes, node_holes: [], edge_property: "directed", edges },
});

function errorOf(input: unknown): HmError {
  try {
    parseIR(input);
  } catch (error) {
    if (error instanceof HmError) return error;
    throw error;
  }
  throw new Error("expected parseIR to fail");
}

describe("graph format", () => {
  test("a valid graph parses, with null optionals read as absent", () => {
    const ir = parseIR(
      graphIR(
        [node("a", { image: "alpine", label: null }), node("b", { runner: "noop", runner_args: { x: 1 } })],
        [[0, 1, "builds_in"]],
        {
          timeout_seconds: 60,
        },
      ),
    );
    expect(ir.graph.nodes.map((n) => n.step.key)).toEqual(["a", "b"]);
    expect(ir.graph.nodes[0]?.step.label).toBeUndefined();
    expect(ir.graph.nodes[1]?.step.runner_args).toEqual({ x: 1 });
    expect(ir.timeout_seconds).toBe(60);
  });

  test("cache objects keep their policy fields", () => {
    const cache = { policy: "ttl", duration_seconds: 60, env_keys: [], key: "abc" };
    const ir = parseIR(graphIR([node("a", { cache })], []));
    expect(ir.graph.nodes[0]?.step.cache).toEqual(cache);
  });

  const errors: [string, unknown, string, number][] = [
    ["a non-object", [], "IR must be a JSON object", 7],
    ["neither encoding", { version: "0" }, "neither 'graph'", 7],
    ["a wrong version", graphIR([node("a")], [], { version: "1" }), 'version must be "0"', 7],
    [
      "a zero step timeout",
      graphIR([node("a"), node("build", { timeout_seconds: 0 })], []),
      "step 'build': timeout_seconds: must be > 0 (got 0)",
      7,
    ],
    [
      "a fractional step timeout",
      graphIR([node("a", { timeout_seconds: 1.5 })], []),
      "step 'a': timeout_seconds: must be a whole number",
      7,
    ],
    [
      "a zero pipeline timeout",
      graphIR([node("a")], [], { timeout_seconds: 0 }),
      "timeout_seconds: must be > 0",
      7,
    ],
    ["a missing cmd", graphIR([{ step: { key: "a" }, env: {} }], []), "step 'a': cmd", 7],
    ["an empty key", graphIR([node("")], []), "step key must not be empty", 7],
    [
      "a runner with spaces",
      graphIR([node("a", { runner: "my runner" })], []),
      "step 'a': runner: runner must be a non-empty name",
      7,
    ],
    [
      "a non-string env value",
      graphIR([{ step: { key: "a", cmd: "x" }, env: { A: 1 } }], []),
      "step 'a': env.A: env values must be strings",
      7,
    ],
    [
      "an env name with '='",
      graphIR([{ step: { key: "a", cmd: "x" }, env: { "A=B": "1" } }], []),
      `step 'a': env["A=B"]: variable name must not contain '='`,
      7,
    ],
    [
      "an empty env name",
      graphIR([{ step: { key: "a", cmd: "x" }, env: { "": "1" } }], []),
      `step 'a': env[""]: variable name must not be empty`,
      7,
    ],
    [
      "a NUL in an env name",
      graphIR([{ step: { key: "a", cmd: "x" }, env: { "A\0": "1" } }], []),
      `step 'a': env["A\\u0000"]: variable name must not contain a NUL byte`,
      7,
    ],
    [
      "a NUL in a step's own env value",
      graphIR([{ step: { key: "a", cmd: "x", env: { A: "1\0" } }, env: {} }], []),
      "step 'a': env.A: value must not contain a NUL byte",
      7,
    ],
    [
      "a NUL in a command",
      graphIR([{ step: { key: "a", cmd: "true\0rm -rf x" }, env: {} }], []),
      "step 'a': cmd: cmd must not contain a NUL byte",
      7,
    ],
    [
      "an unknown edge kind",
      graphIR([node("a"), node("b")], [[0, 1, "after"]]),
      'edge kind must be "builds_in" or "depends_on"',
      7,
    ],
    [
      "an edge to a missing node",
      graphIR([node("a")], [[0, 3, "depends_on"]]),
      "refers to node 3, but there are 1 nodes",
      7,
    ],
    ["a self edge", graphIR([node("a")], [[0, 0, "depends_on"]]), "step 'a' depends on itself", 7],
    ["duplicate keys", graphIR([node("a"), node("a")], []), "two steps share the key 'a' (nodes 0 and 1)", 7],
    [
      "two builds_in parents",
      graphIR(
        [node("a"), node("b"), node("c")],
        [
          [0, 2, "builds_in"],
          [1, 2, "builds_in"],
        ],
      ),
      "step 'c' has two builds_in parents, 'a' and 'b'",
      7,
    ],
    [
      "a cycle",
      graphIR(
        [node("a"), node("b"), node("c")],
        [
          [0, 1, "depends_on"],
          [1, 2, "depends_on"],
          [2, 1, "builds_in"],
        ],
      ),
      "cycle: 'b' → 'c' → 'b'",
      7,
    ],
    [
      "node holes",
      { ...graphIR([node("a")], []), graph: { ...graphIR([node("a")], []).graph, node_holes: [1] } },
      "node_holes must be empty",
      7,
    ],
  ];
  for (const [name, input, message, exitCode] of errors) {
    test(`rejects ${name}`, () => {
      const error = errorOf(input);
      expect(error.message).toContain(message);
      expect(error.code).toBe("E_PIPELINE_INVALID");
      expect<number>(error.exitCode).toBe(exitCode);
    });
  }
});

describe("steps-list format", () => {
  const stepsIR = (steps: unknown[], extra: Record<string, unknown> = {}) => ({
    version: "0",
    ...extra,
    steps,
  });
  const command = (key: string, extra: Record<string, unknown> = {}) => ({
    type: "command",
    key,
    cmd: `run ${key}`,
    ...extra,
  });

  test("converts to the graph form: env merged, builds_in edges, default image on roots, waits order later steps", () => {
    const ir = parseIR(
      stepsIR(
        [
          command("deps", { env: { A: "step" } }),
          command("lint", { builds_in: "deps" }),
          command("test", { builds_in: "deps", timeout_seconds: 600 }),
          { type: "wait" },
          command("report", { runner: "freestyle", runner_args: { region: "us" } }),
        ],
        { env: { A: "pipeline", CI: "true" }, default_image: "ubuntu:24.04" },
      ),
    );
    expect(ir.graph.nodes.map((n) => [n.step.key, n.step.image])).toEqual([
      ["deps", "ubuntu:24.04"],
      ["lint", undefined],
      ["test", undefined],
      ["report", "ubuntu:24.04"],
    ]);
    expect(ir.graph.nodes[0]?.env).toEqual({ A: "step", CI: "true" });
    expect(ir.graph.nodes[1]?.env).toEqual({ A: "pipeline", CI: "true" });
    expect(ir.graph.edges).toEqual([
      [0, 1, "builds_in"],
      [0, 2, "builds_in"],
      [0, 3, "depends_on"],
      [1, 3, "depends_on"],
      [2, 3, "depends_on"],
    ]);
    expect(ir.graph.nodes[3]?.step.runner).toBe("freestyle");
  });

  test("rejects a builds_in to an unknown step", () => {
    expect(errorOf(stepsIR([command("a", { builds_in: "ghost" })])).message).toBe(
      "step 'a' builds_in references unknown step 'ghost'",
    );
  });

  test("rejects an unknown step type and names the step", () => {
    expect(errorOf(stepsIR([command("a"), { type: "block", key: "b" }])).message).toContain(
      'step type must be "command" or "wait"',
    );
  });

  test("rejects a builds_in cycle", () => {
    const error = errorOf(stepsIR([command("a", { builds_in: "b" }), command("b", { builds_in: "a" })]));
    expect(error.message).toContain("cycle:");
  });

  test("rejects a bad timeout and names the step", () => {
    expect(errorOf(stepsIR([command("slow", { timeout_seconds: -5 })])).message).toBe(
      "step 'slow': timeout_seconds: must be > 0 (got -5)",
    );
  });

  test("rejects a pipeline env name with '=' and a step env value with a NUL", () => {
    expect(errorOf(stepsIR([command("a")], { env: { "A=": "1" } })).message).toBe(
      `env["A="]: variable name must not contain '='`,
    );
    expect(errorOf(stepsIR([command("a", { env: { A: "\0" } })])).message).toBe(
      "step 'a': env.A: value must not contain a NUL byte",
    );
  });
});
