import { mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { ExitCode, HmError } from "../../errors.ts";
import { type DetectedTemplate, detectTemplate } from "../../init/detect-template.ts";
import { hasGithubWorkflows, WORKFLOW_FILE, writeGithubWorkflow } from "../../init/github-actions.ts";
import { hasPipeline, initProject } from "../../init/init-project.ts";
import { hmCommand, shownPath, shownPipelineFile } from "../../init/next-steps.ts";
import { TEMPLATE_NAMES, TEMPLATES, type Template, templateNamed } from "../../init/templates.ts";
import type { Logger } from "../../log.ts";
import { isTTY } from "../../term.ts";
import { defineHmCommand } from "../command.ts";

const names = TEMPLATES.map((t) => t.name);

export default defineHmCommand({
  meta: { name: "init", description: "Write a starter pipeline to .hm/pipeline.ts" },
  args: {
    template: {
      type: "enum",
      alias: "t",
      options: [...TEMPLATE_NAMES],
      valueHint: "TEMPLATE",
      description: "Project template (default: picked from the project's files)",
    },
    dir: {
      type: "string",
      alias: "d",
      valueHint: "DIR",
      description: "Project directory, created if missing (default: .)",
    },
    force: { type: "boolean", description: "Overwrite an existing .hm/pipeline.ts" },
    "github-actions": {
      type: "boolean",
      description: `Also write ${WORKFLOW_FILE}, a workflow that runs hm run in CI`,
    },
  },
  async run({ args, data: { log } }) {
    const dirArg = args.dir;
    const dir = resolve(process.cwd(), dirArg ?? ".");
    refuseNonDirectory(dir);
    const force = args.force === true;
    const existing = hasPipeline(dir);
    let template: Template | null = null;
    if (args.template !== undefined) {
      template = templateNamed(args.template) ?? null;
    } else if (existing && !force) {
      log.info("existing pipeline detected in .hm/ — skipping template selection");
    } else {
      const picked = await pickTemplate(detectTemplate(dir), dirArg, log);
      if (picked === null) return ExitCode.cancelled;
      template = picked;
    }

    // Made once a template is settled, so an init that stops first (no template, cancelled) leaves no empty directory.
    makeDirectory(dir, dirArg, log);
    const result = initProject(dir, template, force);
    const pipelineFile = shownPipelineFile(dirArg);
    if (template !== null && existing && !force) {
      log.warn(`pipeline already exists in ${shownPath(dirArg, ".hm")}/ — skipping template`);
      log.info(`${hmCommand(`init -t ${template.name} --force`, dirArg)} overwrites ${pipelineFile}`);
    } else if (template !== null) {
      log.success(`created ${pipelineFile} (TypeScript pipeline, template: ${template.label})`);
    }
    log.debug(`wrote ${result.written.join(", ")}`);
    githubActions(dir, dirArg, args["github-actions"] === true, log);
    const run = hmCommand("run", dirArg);
    log.info(
      result.skippedTemplate
        ? `next step: run your pipeline locally with ${run}`
        : `next step: edit ${pipelineFile} to fit your project, then run it locally with ${run}`,
    );
    return ExitCode.ok;
  },
});

function refuseNonDirectory(dir: string): void {
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat !== undefined && !stat.isDirectory()) {
    throw new HmError("E_INIT", `project directory ${dir} is not a directory`, {
      hint: "pass -d with a directory (hm init creates it when missing)",
    });
  }
}

/** The project directory, made with its parents when missing, as `-d` promises. */
function makeDirectory(dir: string, dirArg: string | undefined, log: Logger): void {
  if (statSync(dir, { throwIfNoEntry: false }) !== undefined) return;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new HmError("E_INIT", `cannot create project directory ${dir}: ${(error as Error).message}`, {
      hint: "check the permissions of its parent, or pass another -d",
    });
  }
  log.info(`created directory ${shownPath(dirArg)}`);
}

/**
 * On a terminal: asks, the detected template preselected. Without one: the
 * detected template, else `--template` is required. Null when the user cancels.
 */
async function pickTemplate(
  detected: DetectedTemplate | null,
  dirArg: string | undefined,
  log: Logger,
): Promise<Template | null> {
  const why = detected === null ? "" : `${detected.because}${dirArg === undefined ? "" : ` in ${dirArg}`}`;
  if (!isTTY(0) || !isTTY(2)) {
    if (detected !== null) {
      log.info(
        `picked template ${detected.template.name} (${detected.template.label}) from ${why}; pass -t to choose another`,
      );
      return detected.template;
    }
    throw new HmError("E_INIT", "no template specified and no terminal available", {
      hint: `pass --template <name> in non-interactive contexts (${names.join(", ")})`,
    });
  }
  if (detected !== null) log.info(`preselected ${detected.template.label} from ${why}`);
  const { consola } = await import("consola");
  const choice = await consola.prompt("Select a project template", {
    type: "select",
    options: TEMPLATES.map((t) => ({ label: t.label, value: t.name })),
    ...(detected !== null ? { initial: detected.template.name } : {}),
    cancel: "null",
  });
  return typeof choice === "string" ? (templateNamed(choice) ?? null) : null;
}

/** The reference's GitHub Actions hint, or the workflow itself with --github-actions. */
function githubActions(dir: string, dirArg: string | undefined, write: boolean, log: Logger): void {
  const shown = shownPath(dirArg, WORKFLOW_FILE);
  if (write) {
    if (writeGithubWorkflow(dir)) {
      log.success(
        `created ${shown}: it runs hm run in GitHub Actions (set the repository variable HM_URL, see the file)`,
      );
    } else log.warn(`${shown} already exists — left as it is (remove it to have hm init write it)`);
    return;
  }
  const add = `${hmCommand("init --github-actions", dirArg)} writes ${shown}, a workflow that runs hm run in CI`;
  log.info(
    hasGithubWorkflows(dir)
      ? `found GitHub Actions workflows in ${shownPath(dirArg, ".github/workflows")}/: hm run runs your checks here; ${add}`
      : `to run this pipeline in GitHub Actions too: ${add}`,
  );
}
