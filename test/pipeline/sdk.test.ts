/**
 * The embedded SDK where hm differs from or adds to the reference: fixed
 * reference bugs, input checks with clear messages, and the inputs each cache
 * key depends on. (Byte-for-byte parity is in sdk-parity.test.ts.)
 */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildEnvelope } from "../../src/pipeline/sdk/envelope.ts";
import {
  compose,
  forever,
  onChange,
  type PipelineIR,
  pipeline,
  scratch,
  sh,
  timeout,
  ttl,
  wait,
} from "../../src/pipeline/sdk/index.ts";
import { nearestName } from "../../src/pipeline/sdk/options.ts";
import * as toolchains from "../../src/pipeline/sdk/toolchains/index.ts";
import { collectSdkWarnings } from "../../src/pipeline/sdk/warnings.ts";
import { makeProject } from "../helpers/project.ts";

const edgesOf = (ir: PipelineIR) => ir.graph.edges;
const keysOf = (ir: PipelineIR) => ir.graph.nodes.map((n) => n.step.key);

function cacheKey(
  ir: PipelineIR,
  options: {
    basePath?: string;
    now?: number;
    env?: Record<string, string>;
    org?: string;
    slug?: string;
  } = {},
) {
  const copy = JSON.parse(JSON.stringify(ir)) as PipelineIR;
  const envelope = buildEnvelope([{ slug: options.slug ?? "ci", pipeline: copy }], {
    basePath: options.basePath ?? "/nonexistent",
    now: options.now ?? 1_000_000,
    env: options.env ?? {},
    pipelineOrg: options.org ?? "default",
  });
  return envelope.pipelines[0]?.definition.graph.nodes.map(
    (n) => (n.step.cache as { key?: string } | undefined)?.key,
  );
}

describe("lowering", () => {
  test("a chain builds each step in its parent", () => {
    const ir = pipeline([sh("a", { label: "a" }).sh("b", { label: "b" }).sh("c", { label: "c" })]);
    expect(keysOf(ir)).toEqual(["a", "b", "c"]);
    expect(edgesOf(ir)).toEqual([
      [0, 1, "builds_in"],
      [1, 2, "builds_in"],
    ]);
    expect(ir.graph.nodes[0]?.step.image).toBe("ubuntu:24.04");
    expect(ir.graph.nodes[1]?.step.image).toBeUndefined();
  });

  test("two barriers in a row keep the first barrier's dependencies (the reference drops them)", () => {
    const ir = pipeline([sh("a", { label: "a" }), wait(), wait(), sh("b", { label: "b" })]);
    expect(edgesOf(ir)).toEqual([[0, 1, "depends_on"]]);
  });

  test("a barrier orders only what follows it, after everything since the previous barrier", () => {
    const ir = pipeline([
      sh("a", { label: "a" }),
      wait(),
      sh("b", { label: "b" }),
      wait(),
      sh("c", { label: "c" }),
    ]);
    expect(edgesOf(ir)).toEqual([
      [0, 1, "depends_on"],
      [1, 2, "depends_on"],
    ]);
  });

  test("cwd becomes an unquoted cd prefix and an empty cwd is refused", () => {
    expect(pipeline([sh("make", { cwd: "sub dir" })]).graph.nodes[0]?.step.cmd).toBe("cd sub dir && make");
    expect(() => sh("make", { cwd: "" })).toThrow("cwd must be a non-empty path");
  });

  test("scratch's image reaches only its direct .sh child", () => {
    const root = scratch({ image: "alpine:3" });
    const ir = pipeline([
      root.sh("direct", { label: "direct" }),
      root.fork().sh("forked", { label: "forked" }),
    ]);
    expect(ir.graph.nodes.map((n) => n.step.image)).toEqual(["alpine:3", "ubuntu:24.04"]);
  });

  test("env is base, then pipeline, then step; children do not inherit step env", () => {
    const parent = sh("p", { label: "p", env: { A: "step", TERM: "xterm" } });
    const ir = pipeline([parent.sh("c", { label: "c" })], { env: { A: "pipeline", B: "pipeline" } });
    expect(ir.graph.nodes[0]?.env).toEqual({
      DEBIAN_FRONTEND: "noninteractive",
      TERM: "xterm",
      A: "step",
      B: "pipeline",
    });
    expect(ir.graph.nodes[1]?.env).toEqual({
      DEBIAN_FRONTEND: "noninteractive",
      TERM: "dumb",
      A: "pipeline",
      B: "pipeline",
    });
  });

  test("timeouts parse Go-style durations and seconds, and reject the rest", () => {
    const ir = pipeline([timeout("1h30m", sh("a")), timeout(45, sh("b"))], { timeout: "2h" });
    expect(ir.graph.nodes.map((n) => n.step.timeout_seconds)).toEqual([5400, 45]);
    expect(ir.timeout_seconds).toBe(7200);
    expect(() => timeout("90", sh("a"))).toThrow('invalid timeout duration "90"');
    expect(() => timeout(0, sh("a"))).toThrow("must be positive");
    expect(() => timeout(1.5, sh("a"))).toThrow("whole number of seconds");
    expect(() => timeout("1s", wait())).toThrow("cannot wrap a wait() barrier");
  });

  test("the variadic form and an empty pipeline are refused with a way out", () => {
    const a = sh("a");
    // @ts-expect-error: the old variadic form
    expect(() => pipeline(a, sh("b"))).toThrow("write pipeline([a, b])");
    expect(() => pipeline([])).toThrow("at least one leaf");
    // @ts-expect-error: not a step
    expect(() => pipeline([a, "echo"])).toThrow("leaf 1 is not a step");
  });

  test("defaultImage is accepted and ignored, as by the reference", () => {
    const ir = pipeline([sh("a")], { defaultImage: "debian:12" });
    expect(ir.graph.nodes[0]?.step.image).toBe("ubuntu:24.04");
  });

  test("wrong option types are reported where they are written", () => {
    // @ts-expect-error: deliberately wrong
    expect(() => sh(42)).toThrow("sh() expects a command string");
    // @ts-expect-error: deliberately wrong
    expect(() => sh("a", { label: 3 })).toThrow("option 'label' must be a string");
    // @ts-expect-error: deliberately wrong
    expect(() => sh("a", { env: { X: 1 } })).toThrow("value of 'X' must be a string");
    // @ts-expect-error: deliberately wrong
    expect(() => sh("a", { runnerArgs: [1] })).toThrow("'runnerArgs' must be an object");
  });

  test("a toolchain option hm does not know is named with its toolchain", () => {
    // @ts-expect-error: deliberately wrong
    expect(() => toolchains.rust.project({ verison: "1.81.0" })).toThrow(
      "rust.project: unknown option 'verison'",
    );
    // @ts-expect-error: deliberately wrong
    expect(() => toolchains.js.project({ runtime: "python" })).toThrow(
      'js.project: unsupported runtime "python"',
    );
  });
});

describe("step keys", () => {
  test("explicit key, then unique label slug, then a hash of parent key, command and position", () => {
    const a = sh("make a", { label: "Build: All!" });
    const ir = pipeline([a.sh("x", { key: "explicit" }), a.sh("y")]);
    const [first, second, third] = keysOf(ir) as string[];
    expect(first).toBe("build-all");
    expect(second).toBe("explicit");
    const expected = new Bun.CryptoHasher("sha256").update("build-all\0y\x002").digest("hex").slice(0, 12);
    expect(third).toBe(expected);
  });

  test("a repeated label slug hashes every step that has it", () => {
    const ir = pipeline([sh("a", { label: "Test" }), sh("b", { label: "test" })]);
    for (const key of keysOf(ir)) expect(key).toMatch(/^[0-9a-f]{12}$/);
  });

  test("after a fork the hash's parent key is empty, while builds_in still points at the command", () => {
    const ir = pipeline([sh("a", { label: "a" }).fork().sh("b")]);
    const expected = new Bun.CryptoHasher("sha256").update("\0b\x001").digest("hex").slice(0, 12);
    expect(keysOf(ir)[1]).toBe(expected);
    expect(edgesOf(ir)).toEqual([[0, 1, "builds_in"]]);
  });
});

describe("cache keys", () => {
  let cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups) c();
    cleanups = [];
  });

  test("forever keys change with the command and with the named env values only", () => {
    const ir = (cmd: string) => pipeline([sh(cmd, { label: "s", cache: forever({ envKeys: ["V"] }) })]);
    const base = cacheKey(ir("a"), { env: { V: "1", OTHER: "x" } });
    expect(cacheKey(ir("a"), { env: { V: "1", OTHER: "y" } })).toEqual(base);
    expect(cacheKey(ir("a"), { env: { V: "2" } })).not.toEqual(base);
    expect(cacheKey(ir("b"), { env: { V: "1" } })).not.toEqual(base);
  });

  test("keys include the org and the pipeline slug", () => {
    const ir = pipeline([sh("a", { label: "s", cache: forever() })]);
    const base = cacheKey(ir);
    expect(cacheKey(ir, { org: "acme" })).not.toEqual(base);
    expect(cacheKey(ir, { slug: "other" })).not.toEqual(base);
  });

  test("ttl keys move to a new bucket once the duration passes", () => {
    const ir = pipeline([sh("a", { label: "s", cache: ttl("1h") })]);
    expect(cacheKey(ir, { now: 3600 })).toEqual(cacheKey(ir, { now: 7199 }));
    expect(cacheKey(ir, { now: 7200 })).not.toEqual(cacheKey(ir, { now: 7199 }));
    expect(ir.graph.nodes[0]?.step.cache).toEqual({ policy: "ttl", duration_seconds: 3600, env_keys: [] });
  });

  test("onChange keys follow file contents under the project directory", () => {
    const project = makeProject({ "lock.txt": "v1", "src/a.ts": "a" });
    cleanups.push(project.cleanup);
    const ir = pipeline([sh("a", { label: "s", cache: onChange("lock.txt", "src/*.ts") })]);
    const before = cacheKey(ir, { basePath: project.root });
    expect(cacheKey(ir, { basePath: project.root })).toEqual(before);
    writeFileSync(join(project.root, "src", "a.ts"), "changed");
    expect(cacheKey(ir, { basePath: project.root })).not.toEqual(before);
  });

  test("a cached child's key includes its parent's, and a cached child of an uncached parent is refused", () => {
    const parent = (cmd: string) => sh(cmd, { label: "p", cache: forever() });
    const child = (cmd: string) => pipeline([parent(cmd).sh("c", { label: "c", cache: forever() })]);
    expect(cacheKey(child("p1"))?.[1]).not.toEqual(cacheKey(child("p2"))?.[1]);
    const orphan = pipeline([sh("p", { label: "p" }).sh("c", { label: "c", cache: compose(forever()) })]);
    expect(() => cacheKey(orphan)).toThrow("step 'c' is cached but builds in step 'p', which is not");
  });
});

describe("unknown options", () => {
  test("the nearest known name: one swap, one letter, or the same name in another case style", () => {
    const known = ["label", "cache", "env", "image", "runner", "runnerArgs", "key", "cwd"];
    expect(nearestName("lable", known)).toBe("label");
    expect(nearestName("imag", known)).toBe("image");
    expect(nearestName("runner_args", known)).toBe("runnerArgs");
    expect(nearestName("RUNNER-ARGS", known)).toBe("runnerArgs");
    expect(nearestName("timeout_seconds", known)).toBeUndefined();
    expect(nearestName("xyz", known)).toBeUndefined();
  });

  test("are warned about, each with its call's stack, and leave the step as it would be without them", async () => {
    const options = { label: "build", lable: "x", cach: forever() } as Parameters<typeof sh>[1];
    let ir: PipelineIR | undefined;
    const warnings: string[] = [];
    await collectSdkWarnings(
      async () => {
        ir = pipeline([sh("make", options)]);
      },
      (collected) => {
        for (const w of collected) {
          expect(w.stack).toContain("sdk.test.ts");
          warnings.push(w.message);
        }
      },
    );
    expect(warnings).toEqual([
      "unknown step option 'lable' (did you mean 'label'?)",
      "unknown step option 'cach' (did you mean 'cache'?)",
    ]);
    expect(ir).toEqual(pipeline([sh("make", { label: "build" })]));
  });
});
