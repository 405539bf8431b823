/**
 * SDK mistakes are SdkError values: what is wrong and what to do as fields,
 * which hm shows after the file and line, while the message a pipeline file
 * that catches one sees keeps its old text. A pipeline file's own errors are
 * shown as written. Through the real evaluation process (loadPipelines).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { HmError } from "../../src/errors.ts";
import { silentLogger } from "../../src/log.ts";
import { loadPipelines } from "../../src/pipeline/load.ts";
import { findProject } from "../../src/pipeline/project.ts";
import { SdkError } from "../../src/pipeline/sdk/errors.ts";
import { sh, timeout } from "../../src/pipeline/sdk/index.ts";
import { makeProject } from "../helpers/project.ts";

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

/** The HmError hm raises for a project holding `.hm/ci.ts` with `source`. */
async function loadError(source: string): Promise<HmError> {
  const made = makeProject({ ".hm/ci.ts": source });
  cleanups.push(made.cleanup);
  try {
    await loadPipelines(findProject(made.root), { log: silentLogger() });
  } catch (error) {
    if (error instanceof HmError) return error;
    throw error;
  }
  throw new Error("the project loaded without an error");
}

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("SDK errors", () => {
  test("carry what is wrong and what to do as fields, and keep their message text", () => {
    const error = thrown(() => timeout(0, sh("make")));
    expect(error).toBeInstanceOf(SdkError);
    expect(error).toBeInstanceOf(Error);
    const sdkError = error as SdkError;
    expect(sdkError.what).toBe("timeout duration must be positive — got 0");
    expect(sdkError.hint).toBe('use a value like "30s" or "5m"');
    expect(sdkError.message).toBe(
      'hm: timeout duration must be positive — got 0\n  → use a value like "30s" or "5m"',
    );
    expect(sdkError.name).toBe("Error");
  });

  test("one without a hint has one line of message", () => {
    const error = thrown(() => sh("make", { label: 3 } as never)) as SdkError;
    expect(error.hint).toBeUndefined();
    expect(error.message).toBe("hm: sh() option 'label' must be a string — got number");
  });

  test("reach hm through the evaluation process as message and hint, at the line that made the call", async () => {
    const error = await loadError(
      'import { sh, timeout } from "@harmont/hm";\n\ntimeout("90", sh("make"));\n',
    );
    expect(error.code).toBe("E_PIPELINE_RENDER");
    expect(error.message).toBe('.hm/ci.ts:3: invalid timeout duration "90"');
    expect(error.hint).toBe('use a Go-style duration like "30s", "5m", or "1h30m" (units: h, m, s)');
  });

  test("a pipeline file that catches one sees the old message", async () => {
    const error = await loadError(
      'import { sh } from "@harmont/hm";\n' +
        'try { sh("make", { cwd: "" }); } catch (e) { throw new Error("caught: " + JSON.stringify((e as Error).message)); }\n',
    );
    expect(error.message).toBe(
      '.hm/ci.ts:2: caught: "hm: cwd must be a non-empty path\\n  → omit cwd to run in the workspace root, or pass cwd=\\"some/dir\\""',
    );
  });
});

describe("a pipeline file's own error", () => {
  test("is shown as written, not read as an SDK message", async () => {
    const error = await loadError('throw new Error("hm: deploy target missing");\n');
    expect(error.message).toBe(".hm/ci.ts:1: hm: deploy target missing");
    expect(error.hint).toBeUndefined();
  });

  test("shows its further lines as the hint", async () => {
    const error = await loadError('throw new Error("no deploy target\\n  set DEPLOY_TARGET\\n\\n");\n');
    expect(error.message).toBe(".hm/ci.ts:1: no deploy target");
    expect(error.hint).toBe("set DEPLOY_TARGET");
  });
});
