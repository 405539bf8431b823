/** The discovery envelope (README): every pipeline of a project with its IR. */
import { resolvePipelineCacheKeys } from "./cache-keys.ts";
import { SdkError } from "./errors.ts";
import type { PipelineIR } from "./lower.ts";
import type { Trigger } from "./triggers.ts";

export interface PipelineDefinition {
  readonly slug: string;
  readonly name?: string;
  readonly allowManual?: boolean;
  readonly triggers?: readonly Trigger[];
  readonly pipeline: PipelineIR;
}

export interface RenderOptions {
  readonly basePath?: string;
  readonly pipelineOrg?: string;
  readonly now?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface EnvelopePipeline {
  slug: string;
  name: string;
  allow_manual: boolean;
  triggers: Record<string, unknown>[];
  definition: PipelineIR;
}

interface Envelope {
  schema_version: "1";
  pipelines: EnvelopePipeline[];
}

export function buildEnvelope(definitions: readonly PipelineDefinition[], opts?: RenderOptions): Envelope {
  const pipelineOrg = opts?.pipelineOrg ?? process.env.HM_PIPELINE_ORG ?? "default";
  const now = opts?.now ?? Math.floor(Date.now() / 1000);
  const env = opts?.env ?? process.env;
  const basePath = opts?.basePath;
  return {
    schema_version: "1",
    pipelines: definitions.map((def) => {
      const entry: EnvelopePipeline = {
        slug: def.slug,
        name: def.name ?? def.slug,
        allow_manual: def.allowManual ?? true,
        triggers: (def.triggers ?? []).map(triggerToJSON),
        definition: def.pipeline,
      };
      const graph = entry.definition.graph;
      const cached = graph.nodes.some((n) => {
        const cache = n.step.cache as { policy?: unknown } | undefined;
        return cache != null && cache.policy !== "none";
      });
      if (cached && basePath == null) {
        throw new SdkError(
          `Pipeline "${def.slug}" contains cached steps but no basePath was provided. ` +
            "Pass { basePath: process.cwd() } as the second argument to renderEnvelope().",
          { bare: true },
        );
      }
      if (basePath != null) {
        resolvePipelineCacheKeys(graph, { pipelineOrg, pipelineSlug: def.slug, now, basePath, env });
      }
      return entry;
    }),
  };
}

/** The reference SDK's entry point: the envelope as compact JSON. */
export function renderEnvelope(definitions: readonly PipelineDefinition[], opts?: RenderOptions): string {
  return JSON.stringify(buildEnvelope(definitions, opts));
}

function triggerToJSON(trigger: Trigger | Record<string, unknown>): Record<string, unknown> {
  const withJSON = trigger as { toJSON?: () => Record<string, unknown> };
  return typeof withJSON.toJSON === "function" ? withJSON.toJSON() : (trigger as Record<string, unknown>);
}
