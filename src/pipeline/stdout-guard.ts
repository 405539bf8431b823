/**
 * hm's stdout carries data (`hm render`, `hm pipelines`, `--format json`,
 * completion candidates), so what a pipeline file prints while it is
 * evaluated (`console.log` in a helper, a debugging line) goes to stderr.
 */
type Printer = (...data: unknown[]) => void;

export async function stdoutToStderr<T>(evaluate: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, debug: console.debug, write: process.stdout.write };
  const toStderr: Printer = (...data) => console.error(...data);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    return await evaluate();
  } finally {
    console.log = saved.log;
    console.info = saved.info;
    console.debug = saved.debug;
    process.stdout.write = saved.write;
  }
}
