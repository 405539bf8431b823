/**
 * The process that evaluates pipeline files (`hm __pipelines`,
 * started by contained-eval.ts). A pipeline file may call process.exit, loop
 * forever or never settle an await; here that ends or stalls only this
 * process, which hm then names, times out and kills. hm's stdout is never
 * this process's: what a pipeline file prints reaches hm's stderr.
 */
import * as v from "valibot";
import { HmError, isHmError, messageOf } from "../errors.ts";
import { limitCpuSeconds } from "./cpu-limit.ts";
import { type EvalMessage, EvalRequestSchema } from "./eval-protocol.ts";
import { renderModule } from "./module-render.ts";
import { lowerings } from "./sdk/host-installers.ts";

/** Bun's GC and JIT threads count towards CPU time too, so it may outrun the wall clock. */
const CPU_PER_WALL_SECOND = 2;
/** Start-up and rendering on top of the files' own time. */
const CPU_MARGIN_SECONDS = 5;

export async function evaluateForParent(_args: string[]): Promise<number> {
  const send = process.send?.bind(process);
  if (send === undefined) {
    process.stderr.write("hm: __pipelines is started by hm itself, with an IPC channel\n");
    return 2;
  }
  // hm __pipelines is its own process's entry point: with the hm that started it gone nothing
  // awaits its answer, so it ends here (docs/design.md, "Signals").
  process.once("disconnect", () => process.exit(0));
  const request = v.parse(EvalRequestSchema, await nextMessage());
  // Well above what hm's wall-clock limit allows: this fires only when hm is no longer there to kill us.
  limitCpuSeconds(CPU_PER_WALL_SECOND * request.limitSeconds * request.paths.length + CPU_MARGIN_SECONDS);
  const say = (message: EvalMessage) => send(message);
  for (const path of request.paths) {
    say({ type: "file", path });
    const warnings: string[] = [];
    try {
      const entries = await renderModule({ path, root: request.root, now: request.now }, warnings);
      say({ type: "rendered", path, entries, warnings });
    } catch (error) {
      const known = isHmError(error) ? error : new HmError("E_PIPELINE_RENDER", messageOf(error));
      const code = known.code === "E_PIPELINE_INVALID" ? "E_PIPELINE_INVALID" : "E_PIPELINE_RENDER";
      const hint = known.hint === undefined ? {} : { hint: known.hint };
      say({ type: "failed", path, warnings, code, message: known.message, ...hint });
      break;
    }
  }
  say({ type: "done", installers: lowerings() });
  // hm kills this process once it has the answer; until then keep the channel open.
  await new Promise(() => {});
  return 0;
}

function nextMessage(): Promise<unknown> {
  return new Promise((resolve) => process.once("message", resolve));
}
