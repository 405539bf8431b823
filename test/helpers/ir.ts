/** Graph IR for tests, written as `.hm/<slug>.ir.json`: steps by key, edges by key. */
export interface TestStep {
  key: string;
  cmd?: string;
  label?: string;
  runner?: string;
  runner_args?: Record<string, unknown>;
  timeout_seconds?: number;
  env?: Record<string, string>;
  image?: string;
  cache?: { policy: string; key?: string };
}

export function irJson(
  steps: TestStep[],
  edges: [string, string, "builds_in" | "depends_on"][] = [],
  options: { timeout_seconds?: number } = {},
): string {
  const index = new Map(steps.map((s, i) => [s.key, i]));
  const at = (key: string) => {
    const i = index.get(key);
    if (i === undefined) throw new Error(`no step '${key}'`);
    return i;
  };
  return JSON.stringify({
    version: "0",
    ...options,
    graph: {
      nodes: steps.map(({ env, ...step }) => ({
        step: { cmd: `echo ${step.key}`, ...step },
        env: env ?? {},
      })),
      node_holes: [],
      edge_property: "directed",
      edges: edges.map(([a, b, kind]) => [at(a), at(b), kind]),
    },
  });
}
