/** The `hm logs` command line that prints a saved run or one of its steps, as the summary shows it. */
import { shortRunId } from "./layout.ts";

export function logsCommand(runId: string, step?: string): string {
  return ["hm", "logs", shortRunId(runId), ...(step === undefined ? [] : [shellWord(step)])].join(" ");
}

/** A word a POSIX shell reads back as `text`: bare when it is safe, else single-quoted. */
function shellWord(text: string): string {
  if (/^[A-Za-z0-9._/:@%+=,-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
