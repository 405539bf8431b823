/**
 * Graph depth is not call-stack depth: a chain of 100 000 steps renders,
 * whether the SDK lowers it (`.sh()` chained, cached, so cache keys chain
 * too) or an `.ir.json` file holds it. Real projects, the real CLI.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { runHm } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const DEPTH = 100_000;
const projects: { cleanup: () => void }[] = [];
afterAll(() => {
  for (const p of projects) p.cleanup();
});

interface Rendered {
  graph: {
    nodes: { step: { key: string; cmd: string; cache?: { key?: string } } }[];
    edges: [number, number, string][];
  };
}

function expectChain(ir: Rendered): void {
  expect(ir.graph.nodes).toHaveLength(DEPTH);
  expect(ir.graph.edges).toHaveLength(DEPTH - 1);
  expect(
    ir.graph.edges.every(([from, to, kind], i) => from === i && to === i + 1 && kind === "builds_in"),
  ).toBe(true);
}

describe("100 000-deep chains", () => {
  test("a .sh() chained 100 000 times, every step cached, renders with a cache key on each step", async () => {
    const project = makeProject({
      ".hm/ci.ts": [
        'import { forever, pipeline, sh } from "@harmont/hm";',
        'let step = sh("echo 0", { cache: forever() });',
        `for (let i = 1; i < ${DEPTH}; i++) step = step.sh(\`echo \${i}\`, { cache: forever() });`,
        'export default { slug: "ci", pipeline: pipeline([step]) };',
        "",
      ].join("\n"),
    });
    projects.push(project);
    const result = await runHm(["render", "ci", "-d", project.root], {
      env: { SOURCE_DATE_EPOCH: "1700000000" },
    });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const ir = JSON.parse(result.stdout) as Rendered;
    expectChain(ir);
    expect(ir.graph.nodes.at(-1)?.step.cmd).toBe(`echo ${DEPTH - 1}`);
    expect(ir.graph.nodes.at(-1)?.step.cache?.key).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  test("a 100 000-deep builds_in chain in an .ir.json file renders", async () => {
    const nodes = Array.from({ length: DEPTH }, (_, i) => ({
      step: { key: `s${i}`, cmd: `echo ${i}` },
      env: {},
    }));
    const edges = Array.from({ length: DEPTH - 1 }, (_, i) => [i, i + 1, "builds_in"]);
    const ir = { version: "0", graph: { nodes, node_holes: [], edge_property: "directed", edges } };
    const project = makeProject({ ".hm/chain.ir.json": JSON.stringify(ir) });
    projects.push(project);
    const result = await runHm(["render", "chain", "-d", project.root]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expectChain(JSON.parse(result.stdout) as Rendered);
  }, 120_000);

  test("a cycle at the end of a 100 000-deep chain is still named", async () => {
    const nodes = Array.from({ length: DEPTH }, (_, i) => ({
      step: { key: `s${i}`, cmd: `echo ${i}` },
      env: {},
    }));
    const edges: [number, number, string][] = Array.from({ length: DEPTH - 1 }, (_, i) => [
      i,
      i + 1,
      "depends_on",
    ]);
    edges.push([DEPTH - 1, DEPTH - 3, "depends_on"]);
    const ir = { version: "0", graph: { nodes, node_holes: [], edge_property: "directed", edges } };
    const project = makeProject({ ".hm/loop.ir.json": JSON.stringify(ir) });
    projects.push(project);
    const result = await runHm(["render", "loop", "-d", project.root]);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(
      `cycle: 's${DEPTH - 3}' → 's${DEPTH - 2}' → 's${DEPTH - 1}' → 's${DEPTH - 3}'`,
    );
  }, 120_000);
});
