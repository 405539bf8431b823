import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { ExitCode, HmError } from "../../errors.ts";
import { hasPipeline, initProject, PIPELINE_FILE } from "../../init/init-project.ts";
import { TEMPLATES, type Template, templateNamed } from "../../init/templates.ts";
import { isTTY } from "../../term.ts";
import { defineHmCommand } from "../command.ts";

const names = TEMPLATES.map((t) => t.name);

export default defineHmCommand({
  meta: { name: "init", description: "Write a starter pipeline to .hm/pipeline.ts" },
  args: {
    template: {
      type: "enum",
      alias: "t",
      options: names,
      valueHint: "TEMPLATE",
      description: `Project template: ${names.join(", ")}`,
    },
    dir: { type: "string", alias: "d", valueHint: "DIR", description: "Project directory (default: .)" },
    force: { type: "boolean", description: "Overwrite an existing .hm/pipeline.ts" },
  },
  async run({ args, data: { log } }) {
    const dir = resolve(process.cwd(), args.dir ?? ".");
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new HmError("E_INIT", `project directory ${dir} does not exist`, {
        hint: "create it first, or pass -d",
      });
    }
    const force = args.force === true;
    const existing = hasPipeline(dir);
    let template: Template | null = null;
    if (args.template !== undefined) {
      template = templateNamed(args.template) ?? null;
    } else if (existing && !force) {
      log.info("existing pipeline detected in .hm/ — skipping template selection");
    } else {
      const picked = await pickTemplate();
      if (picked === null) return ExitCode.cancelled;
      template = picked;
    }

    const result = initProject(dir, template, force);
    if (template !== null && existing && !force) {
      log.warn(`pipeline already exists in ${dir}/.hm/ — skipping template`);
      log.info("pass --force to overwrite .hm/pipeline.ts");
    } else if (template !== null) {
      log.success(`created .hm/${PIPELINE_FILE} (TypeScript pipeline, template: ${template.label})`);
    }
    log.debug(`wrote ${result.written.join(", ")}`);
    log.info("next step: run hm run to execute your pipeline locally");
    return ExitCode.ok;
  },
});

/** Asks on a terminal; without one, `--template` is required. Null when the user cancels. */
async function pickTemplate(): Promise<Template | null> {
  if (!isTTY(0) || !isTTY(2)) {
    throw new HmError("E_INIT", "no template specified and no terminal available", {
      hint: `pass --template <name> in non-interactive contexts (${names.join(", ")})`,
    });
  }
  const { consola } = await import("consola");
  const choice = await consola.prompt("Select a project template", {
    type: "select",
    options: TEMPLATES.map((t) => ({ label: t.label, value: t.name })),
    cancel: "null",
  });
  return typeof choice === "string" ? (templateNamed(choice) ?? null) : null;
}
