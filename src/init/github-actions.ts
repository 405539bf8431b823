/**
 * GitHub Actions for `hm init` (README, "Coming from the reference hm"): a
 * project with workflows gets a hint, and `--github-actions` writes
 * `.github/workflows/hm.yml`, which runs `hm run` in CI. hm has no public
 * download address, so the workflow takes it from the repository variable
 * HM_URL and fails naming it when it is unset.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const WORKFLOW_FILE = ".github/workflows/hm.yml";

/** Whether `.github/workflows/` holds a workflow (`*.yml` or `*.yaml`). */
export function hasGithubWorkflows(projectDir: string): boolean {
  const dir = join(projectDir, ".github", "workflows");
  try {
    if (!statSync(dir).isDirectory()) return false;
    return readdirSync(dir).some((name) => name.endsWith(".yml") || name.endsWith(".yaml"));
  } catch {
    return false;
  }
}

/** Writes the workflow; false (nothing written) when the file already exists. */
export function writeGithubWorkflow(projectDir: string): boolean {
  const path = join(projectDir, WORKFLOW_FILE);
  if (existsSync(path)) return false;
  mkdirSync(join(projectDir, ".github", "workflows"), { recursive: true });
  writeFileSync(path, WORKFLOW);
  return true;
}

const WORKFLOW = `# Runs this repository's hm pipeline on every push and pull request.
# Written by \`hm init --github-actions\`. Set the repository variable HM_URL
# (Settings → Secrets and variables → Actions → Variables) to the address of
# an hm binary for linux-x64 (\`bun run build:release\` writes
# dist/release/hm-linux-x64). Steps run in containers on the runner's Docker.
name: hm

on:
  push:
  pull_request:

jobs:
  hm:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Install hm
        env:
          HM_URL: \${{ vars.HM_URL }}
        run: |
          if [ -z "$HM_URL" ]; then
            echo "::error::set the repository variable HM_URL to the address of an hm binary for linux-x64"
            exit 1
          fi
          curl -fsSL "$HM_URL" -o "$RUNNER_TEMP/hm"
          chmod +x "$RUNNER_TEMP/hm"
          echo "$RUNNER_TEMP" >> "$GITHUB_PATH"
      # With several pipelines in .hm/, name the one to run: hm run <slug>.
      - run: hm run --logs
`;
