/**
 * A `makeProject` whose projects are removed when the test file ends. Its own
 * module: it registers an afterAll, and helpers the benchmarks import must
 * not load bun:test.
 */
import { afterAll } from "bun:test";
import { makeProject } from "./project.ts";

/**
 * A `makeProject` whose projects are removed when the test file ends (call it
 * at the top level of the file): for tests that hand a project to a run and
 * have no place of their own to clean it up.
 */
export function projectsRemovedAfterAll(): typeof makeProject {
  const made: { cleanup: () => void }[] = [];
  afterAll(() => {
    for (const project of made) project.cleanup();
  });
  return (files) => {
    const project = makeProject(files);
    made.push(project);
    return project;
  };
}
